import { isDeepStrictEqual } from 'node:util';
import { SshCertError, quote } from './errors.ts';
import type { CertType, SshCertificate } from './certificate.ts';
import { FOREVER } from './certificate.ts';
import { parseCertificate } from './certificate-parse.ts';
import { fingerprint } from './public-key.ts';
import type { SshPublicKey } from './public-key.ts';
import { assertSshSignature } from './signature.ts';

export interface VerifyOptions {
  trustedCaKeys: readonly SshPublicKey[];
  type: CertType;
  /** A Date, or unix seconds. */
  now: Date | bigint;
  principal?: string;
}

/**
 * Throws an SshCertError unless the certificate is signed by a trusted CA, is
 * of the expected type, is valid at `now` and names `principal`. A certificate
 * with no principals is always refused (OpenSSH would treat it as "anyone").
 */
export function verifyCertificate(cert: SshCertificate, options: VerifyOptions): void {
  const trusted = options.trustedCaKeys.some((key) => key.blob.equals(cert.signatureKey.blob));
  if (!trusted) {
    throw new SshCertError('ERR_CERT_UNTRUSTED_CA', `The certificate is signed by a CA that is not trusted (${fingerprint(cert.signatureKey.blob)})`);
  }
  // The decoded fields are only worth as much as the signature over the raw
  // bytes they came from; refuse an object whose fields were changed after parsing.
  const signed = parseCertificate(cert.raw);
  if (!sameFields(cert, signed)) {
    throw new SshCertError('ERR_CERT_SIGNATURE', 'The certificate fields do not match its signed bytes');
  }
  assertSshSignature(signed.signatureKey, signed.signedBytes, signed.signature);

  if (signed.type !== options.type) {
    throw new SshCertError('ERR_CERT_TYPE', `This is a ${signed.type} certificate; a ${options.type} certificate is required`);
  }
  const now = toSeconds(options.now);
  if (now < signed.validAfter) {
    throw new SshCertError('ERR_CERT_NOT_YET_VALID', `The certificate is not valid until ${describeTime(signed.validAfter)}`);
  }
  if (now >= signed.validBefore) {
    throw new SshCertError('ERR_CERT_EXPIRED', `The certificate expired at ${describeTime(signed.validBefore)}`);
  }
  if (signed.principals.length === 0) {
    throw new SshCertError('ERR_CERT_PRINCIPAL', 'The certificate names no principals; such certificates are refused');
  }
  if (options.principal !== undefined && !signed.principals.includes(options.principal)) {
    throw new SshCertError('ERR_CERT_PRINCIPAL', `The certificate is not valid for principal ${quote(options.principal)}`);
  }
}

function sameFields(a: SshCertificate, b: SshCertificate): boolean {
  return (
    a.algorithm === b.algorithm &&
    a.type === b.type &&
    a.serial === b.serial &&
    a.keyId === b.keyId &&
    a.validAfter === b.validAfter &&
    a.validBefore === b.validBefore &&
    a.publicKey.blob.equals(b.publicKey.blob) &&
    a.signatureKey.blob.equals(b.signatureKey.blob) &&
    a.signedBytes.equals(b.signedBytes) &&
    a.signature.equals(b.signature) &&
    isDeepStrictEqual([...a.principals], b.principals) &&
    isDeepStrictEqual([...a.extensions], b.extensions) &&
    isDeepStrictEqual({ ...a.criticalOptions }, b.criticalOptions)
  );
}

function toSeconds(now: Date | bigint): bigint {
  if (typeof now === 'bigint') return now;
  const ms = now.getTime();
  if (!Number.isFinite(ms)) throw new TypeError('options.now is an invalid Date');
  return BigInt(Math.floor(ms / 1000));
}

function describeTime(seconds: bigint): string {
  if (seconds === FOREVER) return 'the end of time';
  const ms = Number(seconds) * 1000;
  return ms <= 8.64e15 ? new Date(ms).toISOString() : `unix time ${seconds}`;
}
