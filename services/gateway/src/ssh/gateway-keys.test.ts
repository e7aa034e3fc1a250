import { describe, expect, it } from 'vitest';
import { formatCertificate, generateCaKey, parseCertificate, parsePublicKey, signCertificate } from '@access/sshcert';
import type { GatewayCa } from '../ca-client.ts';
import { CLOCK_TOLERANCE_MS, createHostKeys, generateKeyPair, HOST_CERT_EXPIRY_MARGIN_MS } from './gateway-keys.ts';

const HOUR = 3_600_000;
const hostCa = generateCaKey('host ca').signer;
const start = new Date('2026-11-23T12:00:00Z').getTime();

/** A CA whose answers the test turns off and on, counting calls. */
function fakeCa(clock: { now: number }) {
  const state = { up: true, calls: 0, serial: 0n };
  const ca = {
    async hostCertificate(names: readonly string[], publicKey: string) {
      state.calls++;
      if (!state.up) throw new Error('the access CA is unreachable (connection refused); try again shortly');
      const now = BigInt(Math.floor(clock.now / 1000));
      const cert = signCertificate(
        { type: 'host', publicKey: parsePublicKey(publicKey), serial: ++state.serial, keyId: 'gw', principals: [...names], validAfter: now - 300n, validBefore: now + 3600n, criticalOptions: {}, extensions: [] },
        hostCa,
      );
      return { certificate: formatCertificate(cert), validBefore: new Date(Number(now + 3600n) * 1000) };
    },
  } as unknown as GatewayCa;
  return { ca, state };
}

/** The serial of the certificate a host key presents. */
const serialOf = (key: { key: { getPublicSSH(): Buffer } }) => parseCertificate(key.key.getPublicSSH()).serial;

describe('createHostKeys', () => {
  it('keeps the margin at least the clock tolerance', () => {
    expect(HOST_CERT_EXPIRY_MARGIN_MS).toBeGreaterThanOrEqual(CLOCK_TOLERANCE_MS);
  });

  it('fetches once, shares concurrent fetches, and renews halfway to expiry less the margin', async () => {
    const clock = { now: start };
    const { ca, state } = fakeCa(clock);
    const keys = createHostKeys(ca, generateKeyPair('t'), () => new Date(clock.now));
    const [a, b] = await Promise.all([keys.forNames(['web-1']), keys.forNames(['web-1'])]);
    expect(a).toBe(b);
    expect(state.calls).toBe(1);
    const renewAt = start + (HOUR - HOST_CERT_EXPIRY_MARGIN_MS) / 2;
    clock.now = renewAt - 1;
    expect(await keys.forNames(['web-1'])).toBe(a);
    expect(state.calls).toBe(1);
    clock.now = renewAt;
    // The renewal runs in the background; the one in hand serves meanwhile.
    expect(await keys.forNames(['web-1'])).toBe(a);
    expect(state.calls).toBe(2);
    await new Promise((r) => setImmediate(r));
    const renewed = await keys.forNames(['web-1']);
    expect(renewed).not.toBe(a);
    expect(serialOf(renewed)).toBe(2n);
  });

  it('keeps presenting the certificate in hand while the CA is down, until the margin before its expiry', async () => {
    const clock = { now: start };
    const { ca, state } = fakeCa(clock);
    const keys = createHostKeys(ca, generateKeyPair('t'), () => new Date(clock.now));
    const first = await keys.forNames(['127.0.0.1']);
    state.up = false;
    clock.now = start + HOUR / 2;
    expect(await keys.forNames(['127.0.0.1'])).toBe(first);
    await new Promise((r) => setImmediate(r));
    const failed = state.calls;
    // A failed renewal is not retried on every connection.
    expect(await keys.forNames(['127.0.0.1'])).toBe(first);
    expect(state.calls).toBe(failed);
    clock.now = start + HOUR - HOST_CERT_EXPIRY_MARGIN_MS - 1;
    expect(await keys.forNames(['127.0.0.1'])).toBe(first);
    await new Promise((r) => setImmediate(r));
    // Past the margin it is not presented any more: the CA's failure shows.
    clock.now = start + HOUR - HOST_CERT_EXPIRY_MARGIN_MS;
    await expect(keys.forNames(['127.0.0.1'])).rejects.toThrow(/unreachable/);
    // And once the CA is back, a new one is fetched at once.
    state.up = true;
    const next = await keys.forNames(['127.0.0.1']);
    expect(next).not.toBe(first);
  });
});
