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
 * How far apart the clocks of the CA, the gateway and engineers' machines may be (ms). The
 * gateway accepts certificates that become valid at most this far in its future
 * (`certificate-auth.ts`), and stops presenting a host certificate twice this long before it
 * expires by its own clock: a gateway behind the CA and a client ahead of it still agree.
 */
export const CLOCK_TOLERANCE_MS = 5 * 60_000;

/** A host certificate is not presented closer to its expiry than this (gateway clock, ms). */
export const HOST_CERT_EXPIRY_MARGIN_MS = 2 * CLOCK_TOLERANCE_MS;

/** After a failed renewal, the next attempt waits at least this long (ms): a CA that is down is not asked once per connection. */
const RENEW_RETRY_MS = 5000;

interface Cached {
  key: HostKey;
  /** From here on a new certificate is fetched (in the background while this one serves). */
  renewAt: number;
  /** Past this, this certificate is no longer presented. */
  usableUntil: number;
}

interface Entry {
  current: Cached | null;
  fetching: Promise<Cached> | null;
  /** No renewal is started before this after one failed. */
  retryAt: number;
}

/**
 * Host certificates the gateway presents: its own (for the names engineers dial it by) and
 * one per target while it terminates sessions for that target. Each is fetched from the CA
 * once and renewed halfway to `usableUntil` (its expiry less a margin for clock skew);
 * concurrent requests share one fetch. While the CA cannot be reached, the certificate in
 * hand keeps being presented until `usableUntil`, and renewal is tried again (at most every
 * few seconds): connections keep working through a CA outage shorter than that.
 */
export function createHostKeys(ca: GatewayCa, keyPair: KeyPair, clock: () => Date) {
  const cache = new Map<string, Entry>();

  function fetchFor(names: readonly string[], entry: Entry): Promise<Cached> {
    if (entry.fetching) return entry.fetching;
    const started = clock().getTime();
    const fetching = ca.hostCertificate(names, keyPair.publicKey).then(({ certificate, validBefore }) => {
      const usableUntil = validBefore.getTime() - HOST_CERT_EXPIRY_MARGIN_MS;
      const cached = { key: hostKeyWithCertificate(keyPair.privateKey, certificate), renewAt: started + (usableUntil - started) / 2, usableUntil };
      entry.current = cached;
      return cached;
    });
    entry.fetching = fetching;
    fetching.then(
      () => (entry.fetching = null),
      () => {
        entry.fetching = null;
        entry.retryAt = clock().getTime() + RENEW_RETRY_MS;
      },
    );
    return fetching;
  }

  return {
    async forNames(names: readonly string[]): Promise<HostKey> {
      const cacheKey = names.join(',');
      let entry = cache.get(cacheKey);
      if (!entry) cache.set(cacheKey, (entry = { current: null, fetching: null, retryAt: 0 }));
      const now = clock().getTime();
      const current = entry.current;
      if (current && now < current.usableUntil) {
        // Renewed in the background: the connection asking now is served the one in hand.
        if (now >= current.renewAt && now >= entry.retryAt) fetchFor(names, entry).catch(() => undefined);
        return current.key;
      }
      return (await fetchFor(names, entry)).key;
    },
  };
}

export type HostKeys = ReturnType<typeof createHostKeys>;
