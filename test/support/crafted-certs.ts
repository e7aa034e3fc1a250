import { writeFileSync } from 'node:fs';
import { formatCertificate, parsePublicKey, signCertificate, type CaSigner, type CertificateFields } from '@access/sshcert';
import type { KeyPair } from './ssh-client.ts';

export type CraftedFields = Partial<Omit<CertificateFields, 'publicKey'>>;

/**
 * Signs a certificate for `key` with the low-level encoder, which applies no policy: the way
 * to make certificates the CA's API must refuse (expired, no principals, wrong type…).
 * Defaults: a user certificate, valid from 5 minutes ago for 10 minutes,
 * `permit-pty`, no principals. Writes it to `key.certificatePath` and returns the certificate line.
 */
export function craftCertificate(key: Pick<KeyPair, 'publicKey' | 'certificatePath'>, signer: CaSigner, fields: CraftedFields & { keyId: string; serial: bigint }): string {
  const now = BigInt(Math.floor(Date.now() / 1000));
  const cert = signCertificate(
    {
      type: 'user',
      publicKey: parsePublicKey(key.publicKey),
      principals: [],
      validAfter: now - 300n,
      validBefore: now + 600n,
      criticalOptions: {},
      extensions: ['permit-pty'],
      ...fields,
    },
    signer,
  );
  const line = formatCertificate(cert);
  writeFileSync(key.certificatePath, `${line}\n`, { mode: 0o644 });
  return line;
}

/** Unix seconds, as the encoder wants them. */
export function unixNow(): bigint {
  return BigInt(Math.floor(Date.now() / 1000));
}
