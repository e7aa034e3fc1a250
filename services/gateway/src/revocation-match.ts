import type { RevokeNotice } from '@access/db';
import { fingerprint, type SshCertificate } from '@access/sshcert';

/** What a revocation can name about the certificate a live connection signed in with. */
export interface LiveCredential {
  serial: bigint;
  keyId: string;
  /** Fingerprint of the CA key that signed the certificate. */
  caFingerprint: string;
  /** Fingerprint of the certified public key. */
  keyFingerprint: string;
}

export function credentialOf(certificate: SshCertificate): LiveCredential {
  return {
    serial: certificate.serial,
    keyId: certificate.keyId,
    caFingerprint: fingerprint(certificate.signatureKey.blob),
    keyFingerprint: fingerprint(certificate.publicKey.blob),
  };
}

/**
 * True when a revocation notice covers this certificate, by the rules the CA applies to a
 * new sign-in (gateway-authority identify): a serial or serial range of one CA key (or of
 * every key when none is named), a key id, or the certified public key.
 */
export function revocationCovers(notice: RevokeNotice, credential: LiveCredential): boolean {
  switch (notice.revocation) {
    case 'serial':
    case 'serial_range': {
      if (notice.caFingerprint !== null && notice.caFingerprint !== credential.caFingerprint) return false;
      const from = decimal(notice.serialFrom);
      const to = decimal(notice.serialTo) ?? from;
      return from !== null && to !== null && from <= credential.serial && credential.serial <= to;
    }
    case 'key_id':
      return notice.keyId !== null && notice.keyId === credential.keyId;
    case 'key':
      return notice.keyFingerprint !== null && notice.keyFingerprint === credential.keyFingerprint;
    default:
      return false;
  }
}

function decimal(value: string | null | undefined): bigint | null {
  return typeof value === 'string' && /^\d{1,20}$/.test(value) ? BigInt(value) : null;
}
