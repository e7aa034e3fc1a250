import { constants, verify } from 'node:crypto';
import { SshCertError, quote } from './errors.ts';
import type { SshPublicKey } from './public-key.ts';
import { WireReader } from './wire-reader.ts';

/** Which signature algorithms each CA key type may use, and the hash behind them. */
const ALLOWED: Readonly<Record<SshPublicKey['type'], Readonly<Record<string, string | null>>>> = {
  'ssh-ed25519': { 'ssh-ed25519': null },
  'ecdsa-sha2-nistp256': { 'ecdsa-sha2-nistp256': 'sha256' },
  'ecdsa-sha2-nistp384': { 'ecdsa-sha2-nistp384': 'sha384' },
  // "ssh-rsa" (SHA-1) signatures are refused, as OpenSSH does by default since 8.8.
  'ssh-rsa': { 'rsa-sha2-256': 'sha256', 'rsa-sha2-512': 'sha512' },
};

function bad(message: string): SshCertError {
  return new SshCertError('ERR_CERT_SIGNATURE', message);
}

/**
 * Checks an SSH signature blob ("string algorithm, string signature") over
 * `data` with `key`. Only the one canonical encoding of a signature is accepted.
 * Throws ERR_CERT_SIGNATURE; never returns a result that could be ignored.
 */
export function assertSshSignature(key: SshPublicKey, data: Buffer, signatureBlob: Buffer): void {
  let ok: boolean;
  try {
    ok = checkSignature(key, data, signatureBlob);
  } catch (error) {
    if (error instanceof SshCertError) throw error;
    throw new SshCertError('ERR_CERT_SIGNATURE', 'The certificate signature could not be checked', { cause: error });
  }
  if (!ok) throw bad('The certificate signature is not valid for its CA key (the certificate was altered or forged)');
}

function checkSignature(key: SshPublicKey, data: Buffer, signatureBlob: Buffer): boolean {
  const reader = new WireReader(signatureBlob, 'ERR_CERT_SIGNATURE', 'The certificate signature');
  const algorithm = reader.string('signature algorithm').toString('latin1');
  const signature = reader.string('signature');
  reader.end();
  const allowed = ALLOWED[key.type];
  const hash = Object.hasOwn(allowed, algorithm) ? allowed[algorithm] : undefined;
  if (hash === undefined) {
    throw bad(`A ${key.type} CA key cannot make a ${quote(algorithm)} signature`);
  }
  switch (key.type) {
    case 'ssh-ed25519':
      return signature.length === 64 && verify(null, data, key.keyObject, signature);
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384': {
      const size = key.bits / 8;
      const inner = new WireReader(signature, 'ERR_CERT_SIGNATURE', 'The ECDSA signature');
      const r = inner.positiveMpint('r', size);
      const s = inner.positiveMpint('s', size);
      inner.end();
      const p1363 = Buffer.concat([leftPad(r, size), leftPad(s, size)]);
      return verify(hash, data, { key: key.keyObject, dsaEncoding: 'ieee-p1363' }, p1363);
    }
    case 'ssh-rsa':
      // OpenSSH always writes full-length RSA signatures; accepting shorter ones
      // would give one signature two encodings.
      if (signature.length !== Math.ceil(key.bits / 8)) throw bad('The RSA signature length does not match the CA key');
      return verify(hash, data, { key: key.keyObject, padding: constants.RSA_PKCS1_PADDING }, signature);
  }
}

function leftPad(bytes: Buffer, size: number): Buffer {
  return bytes.length === size ? bytes : Buffer.concat([Buffer.alloc(size - bytes.length), bytes]);
}
