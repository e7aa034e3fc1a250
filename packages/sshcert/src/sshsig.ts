import { createHash } from 'node:crypto';
import type { CaSigner } from './ca-key.ts';
import { SshCertError } from './errors.ts';
import { decodeBase64Strict } from './openssh-text.ts';
import { fingerprint, publicKeyFromBlob } from './public-key.ts';
import type { SshPublicKey } from './public-key.ts';
import { assertSshSignature } from './signature.ts';
import { SshSigError } from './sshsig-error.ts';
import { WireReader } from './wire-reader.ts';
import { WireWriter } from './wire-writer.ts';

// OpenSSH's PROTOCOL.sshsig: what `ssh-keygen -Y sign` writes and `ssh-keygen -Y verify` checks.

const MAGIC = Buffer.from('SSHSIG', 'latin1');
const VERSION = 1;
const BEGIN = '-----BEGIN SSH SIGNATURE-----';
const END = '-----END SSH SIGNATURE-----';
/** ssh-keygen wraps the base64 at 70 columns; so do we, so our files look like its own. */
const LINE_WIDTH = 70;
const MAX_ARMORED_LENGTH = 64 * 1024;

export type SshSigHash = 'sha256' | 'sha512';

export interface SshSignature {
  /** The key that made the signature, as the signature names it. */
  readonly publicKey: SshPublicKey;
  readonly namespace: string;
  readonly hashAlgorithm: SshSigHash;
  /** The SSH signature blob: string algorithm, string signature. */
  readonly signature: Buffer;
}

/**
 * Signs `message` for `namespace` (e.g. "file", or "access-audit-export@access"), SHA-512
 * as ssh-keygen does, and returns the armored text ending in a newline. The private key
 * stays inside the signer. Ed25519 signatures are deterministic: with the same key this is
 * byte for byte what `ssh-keygen -Y sign -n <namespace>` writes.
 */
export function signSshSig(signer: CaSigner, message: Uint8Array | string, namespace: string): string {
  checkNamespace(namespace);
  const signed = signedData(namespace, 'sha512', digest('sha512', message));
  const blob = new WireWriter()
    .raw(MAGIC)
    .u32(VERSION)
    .string(signer.publicKey.blob)
    .string(namespace)
    .string('')
    .string('sha512')
    .string(signer.sign(signed))
    .toBuffer();
  const lines = blob.toString('base64').match(new RegExp(`.{1,${LINE_WIDTH}}`, 'g')) ?? [];
  return `${BEGIN}\n${lines.join('\n')}\n${END}\n`;
}

/** Reads an armored signature without checking it; ERR_SSHSIG_MALFORMED or ERR_SSHSIG_UNSUPPORTED. */
export function parseSshSig(armored: string | Uint8Array): SshSignature {
  const text = (typeof armored === 'string' ? armored : Buffer.from(armored).toString('latin1')).trim();
  if (text.length > MAX_ARMORED_LENGTH) throw malformed('it is too long');
  if (!text.startsWith(`${BEGIN}\n`) && !text.startsWith(`${BEGIN}\r\n`)) throw malformed(`it does not start with ${BEGIN}`);
  if (!text.endsWith(END)) throw malformed(`it does not end with ${END}`);
  const body = text.slice(BEGIN.length, text.length - END.length).replace(/\r?\n/g, '');
  const blob = decodeBase64Strict(body);
  if (blob === undefined) throw malformed('its body is not base64');
  if (!blob.subarray(0, MAGIC.length).equals(MAGIC)) throw malformed('it does not start with SSHSIG');
  try {
    const reader = new WireReader(blob.subarray(MAGIC.length), 'ERR_CERT_MALFORMED', 'The SSH signature');
    const version = reader.u32('version');
    if (version !== VERSION) throw new SshSigError('ERR_SSHSIG_UNSUPPORTED', `The SSH signature has version ${version}; only version ${VERSION} is supported`);
    const publicKey = publicKeyFromBlob(reader.string('public key'));
    const namespace = reader.text('namespace');
    reader.string('reserved');
    const hashAlgorithm = reader.text('hash algorithm');
    const signature = reader.string('signature');
    reader.end();
    if (hashAlgorithm !== 'sha256' && hashAlgorithm !== 'sha512') {
      throw new SshSigError('ERR_SSHSIG_UNSUPPORTED', `The SSH signature uses the hash ${JSON.stringify(hashAlgorithm.slice(0, 20))}; only sha256 and sha512 are defined`);
    }
    return { publicKey, namespace, hashAlgorithm, signature: Buffer.from(signature) };
  } catch (error) {
    if (error instanceof SshCertError) throw malformed(error.message, error);
    throw error;
  }
}

/**
 * Checks an armored signature over `message`: made by exactly `publicKey`, for exactly
 * `namespace`, and valid. Throws SshSigError (never returns a result to forget to check);
 * returns what it checked.
 */
export function verifySshSig(armored: string | Uint8Array, message: Uint8Array | string, expected: { publicKey: SshPublicKey; namespace: string }): SshSignature {
  const parsed = parseSshSig(armored);
  if (!parsed.publicKey.blob.equals(expected.publicKey.blob)) {
    throw new SshSigError(
      'ERR_SSHSIG_WRONG_KEY',
      `The signature was made by the key ${fingerprint(parsed.publicKey.blob)}, not by the trusted key ${fingerprint(expected.publicKey.blob)}`,
    );
  }
  if (parsed.namespace !== expected.namespace) {
    throw new SshSigError(
      'ERR_SSHSIG_NAMESPACE',
      `The signature was made for the namespace ${JSON.stringify(parsed.namespace.slice(0, 80))}, not ${JSON.stringify(expected.namespace)}: it signs something else`,
    );
  }
  const signed = signedData(parsed.namespace, parsed.hashAlgorithm, digest(parsed.hashAlgorithm, message));
  try {
    assertSshSignature(parsed.publicKey, signed, parsed.signature);
  } catch (error) {
    if (!(error instanceof SshCertError)) throw error;
    throw new SshSigError('ERR_SSHSIG_INVALID', 'The signature does not match the message: the message (or the signature) was changed after signing', { cause: error });
  }
  return parsed;
}

/** What is actually signed: the message's hash, bound to the namespace and hash algorithm. */
function signedData(namespace: string, hashAlgorithm: SshSigHash, hash: Buffer): Buffer {
  return new WireWriter().raw(MAGIC).string(namespace).string('').string(hashAlgorithm).string(hash).toBuffer();
}

function digest(hashAlgorithm: SshSigHash, message: Uint8Array | string): Buffer {
  return createHash(hashAlgorithm).update(message).digest();
}

function checkNamespace(namespace: string): void {
  if (!/^[\x21-\x7e]{1,256}$/.test(namespace)) {
    throw new SshSigError('ERR_SSHSIG_NAMESPACE', 'A signature namespace must be 1-256 printable ASCII characters without spaces, e.g. "file"');
  }
}

function malformed(problem: string, cause?: unknown): SshSigError {
  return new SshSigError('ERR_SSHSIG_MALFORMED', `The SSH signature is malformed: ${problem}`, { cause });
}
