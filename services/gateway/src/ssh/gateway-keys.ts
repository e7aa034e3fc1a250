import { formatPublicKey, generateCaKey } from '@access/sshcert';
import type { GatewayCa } from '../ca-client.ts';
import { hostKeyWithCertificate } from './certificate-keys.ts';

export interface KeyPair {
  /** OpenSSH private key text: in memory only, never written anywhere. */
  privateKey: string;
  publicKey: string;
}

export function generateKeyPair(comment: string): KeyPair {
  const { signer, privateKeyText } = generateCaKey(comment);
  return { privateKey: privateKeyText, publicKey: formatPublicKey(signer.publicKey, comment) };
}

export type HostKey = ReturnType<typeof hostKeyWithCertificate>;

/**
 * Host certificates the gateway presents: its own (for the names engineers dial it by) and
 * one per target while it terminates sessions for that target. Each is fetched from the CA
 * once and renewed when half its life is gone; concurrent requests share one fetch.
 */
export function createHostKeys(ca: GatewayCa, keyPair: KeyPair, clock: () => Date) {
  const cache = new Map<string, { key: Promise<HostKey>; renewAt: number }>();
  return {
    async forNames(names: readonly string[]): Promise<HostKey> {
      const cacheKey = names.join(',');
      const hit = cache.get(cacheKey);
      if (hit && hit.renewAt > clock().getTime()) return hit.key;
      const started = clock().getTime();
      const entry = { key: ca.hostCertificate(names, keyPair.publicKey).then(({ certificate, validBefore }) => {
        entry.renewAt = started + (validBefore.getTime() - started) / 2;
        return hostKeyWithCertificate(keyPair.privateKey, certificate);
      }), renewAt: Number.POSITIVE_INFINITY };
      cache.set(cacheKey, entry);
      entry.key.catch(() => cache.delete(cacheKey));
      return entry.key;
    },
  };
}

export type HostKeys = ReturnType<typeof createHostKeys>;
