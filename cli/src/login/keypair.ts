import { createHash, randomBytes } from 'node:crypto';
import { fingerprint, formatPublicKey, generateCaKey } from '@access/sshcert';

/** A fresh Ed25519 key pair for one login: the private half stays on this machine. */
export interface LoginKey {
  privateKeyText: string;
  publicKeyLine: string;
  fingerprint: string;
}

export function newLoginKey(comment = 'access'): LoginKey {
  const { signer, privateKeyText } = generateCaKey(comment);
  return { privateKeyText, publicKeyLine: formatPublicKey(signer.publicKey), fingerprint: fingerprint(signer.publicKey.blob) };
}

/**
 * The one-time secret that binds the login's result to this process: the CA only ever sees
 * its hash until redeem/poll, so someone who learns the login id or code cannot collect it.
 */
export function newLoginSecret(): { secret: string; secretHash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, secretHash: createHash('sha256').update(secret).digest('base64url') };
}
