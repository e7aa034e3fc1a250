import type { SshPublicKey } from './public-key.ts';

export type CertType = 'user' | 'host';

/** Wire value of the certificate type field. */
export const CERT_TYPE_CODE: Readonly<Record<CertType, number>> = { user: 1, host: 2 };

/** valid_before meaning "never expires". */
export const FOREVER = 0xffff_ffff_ffff_ffffn;

export interface CertificateFields {
  type: CertType;
  publicKey: SshPublicKey;
  serial: bigint;
  keyId: string;
  principals: string[];
  validAfter: bigint;
  /** Unix seconds; 0xffffffffffffffffn = forever. */
  validBefore: bigint;
  criticalOptions: Record<string, string>;
  extensions: string[];
  nonce?: Buffer;
}

export interface SshCertificate {
  /** e.g. 'ssh-ed25519-cert-v01@openssh.com' */
  readonly algorithm: string;
  readonly type: CertType;
  readonly publicKey: SshPublicKey;
  readonly serial: bigint;
  readonly keyId: string;
  readonly principals: string[];
  readonly validAfter: bigint;
  readonly validBefore: bigint;
  readonly criticalOptions: Record<string, string>;
  readonly extensions: string[];
  readonly nonce: Buffer;
  /** The CA key that signed the certificate. */
  readonly signatureKey: SshPublicKey;
  /** The whole certificate blob. */
  readonly raw: Buffer;
  /** The raw bytes before the signature field: what the signature covers. */
  readonly signedBytes: Buffer;
  /** SSH signature blob: string algorithm, string signature. */
  readonly signature: Buffer;
}

/** "<algorithm> <base64> [comment]", the format of an OpenSSH -cert.pub file. */
export function formatCertificate(cert: SshCertificate, comment?: string): string {
  const line = `${cert.algorithm} ${cert.raw.toString('base64')}`;
  return comment === undefined || comment === '' ? line : `${line} ${comment}`;
}
