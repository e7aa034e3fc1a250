import { describe, expect, it } from 'vitest';
import { createConnectionAdmission, type AdmissionOptions } from './connection-admission.ts';

function door(overrides: Partial<AdmissionOptions> = {}) {
  let t = 0;
  const lines: string[] = [];
  const admission = createConnectionAdmission({ connectionRate: 2, connectionBurst: 4, maxUnauthenticated: 100, maxUnauthenticatedTotal: 1000, now: () => t, log: (l) => lines.push(l), ...overrides });
  const tryMany = (address: string, n: number) => Array.from({ length: n }, () => admission.admit(address)).filter((r) => r.admitted).length;
  return { admission, lines, tryMany, advance: (ms: number) => (t += ms) };
}

describe('connection admission', () => {
  it('admits a burst, then refuses until the bucket refills at the rate', () => {
    const { tryMany, advance } = door();
    expect(tryMany('192.0.2.1', 10)).toBe(4);
    advance(499);
    expect(tryMany('192.0.2.1', 5)).toBe(0);
    advance(1);
    expect(tryMany('192.0.2.1', 5)).toBe(1);
    advance(10_000);
    expect(tryMany('192.0.2.1', 10)).toBe(4);
  });

  it('caps the connections not signed in yet from all addresses together, and frees a place when one signs in', () => {
    const { admission, lines } = door({ connectionRate: 1000, connectionBurst: 1000, maxUnauthenticated: 2, maxUnauthenticatedTotal: 5 });
    const results = ['192.0.2.1', '192.0.2.2', '192.0.2.3'].flatMap((address) => [admission.admit(address), admission.admit(address)]);
    expect(results.map((r) => r.admitted)).toEqual([true, true, true, true, true, false]);
    expect(lines).toEqual(['refused a connection from 192.0.2.3: 5 connections from all addresses not signed in yet']);
    expect(admission.admit('198.51.100.7').admitted).toBe(false);
    const first = results[0]!;
    if (first.admitted) first.admission.signedIn();
    expect(admission.admit('198.51.100.7').admitted).toBe(true);
    expect(admission.admit('198.51.100.8').admitted).toBe(false);
  });

  it('counts each address on its own', () => {
    const { tryMany } = door();
    expect(tryMany('192.0.2.1', 10)).toBe(4);
    expect(tryMany('2001:db8::1', 10)).toBe(4);
  });

  it('caps the connections not signed in yet, and frees a place when one signs in or closes', () => {
    const { admission, advance } = door({ connectionRate: 1000, connectionBurst: 1000, maxUnauthenticated: 3 });
    const held = [1, 2, 3].map(() => admission.admit('192.0.2.1'));
    expect(held.every((r) => r.admitted)).toBe(true);
    expect(admission.admit('192.0.2.1').admitted).toBe(false);
    const [first, second] = held.map((r) => (r.admitted ? r.admission : null));
    first!.signedIn();
    first!.closed(); // signed in, then closed: counted once
    expect(admission.admit('192.0.2.1').admitted).toBe(true);
    expect(admission.admit('192.0.2.1').admitted).toBe(false);
    second!.closed();
    advance(1);
    expect(admission.admit('192.0.2.1').admitted).toBe(true);
  });

  it('logs a refused address once a window, with how many it refused meanwhile', () => {
    const { lines, tryMany, advance } = door({ logEveryMs: 60_000 });
    tryMany('192.0.2.1', 104);
    tryMany('192.0.2.2', 5);
    expect(lines).toEqual([
      'refused a connection from 192.0.2.1: more than 2 new connections a second (burst 4)',
      'refused a connection from 192.0.2.2: more than 2 new connections a second (burst 4)',
    ]);
    advance(59_000);
    tryMany('192.0.2.1', 200);
    expect(lines).toHaveLength(2);
    advance(1000);
    tryMany('192.0.2.1', 200);
    expect(lines.at(-1)).toMatch(/^refused a connection from 192\.0\.2\.1: .* \(\d+ refused since the last line about it\)$/);
    expect(lines).toHaveLength(3);
  });

  it('keeps its table bounded under a spray of addresses, forgetting idle ones first', () => {
    const { admission, tryMany, advance } = door({ maxTrackedAddresses: 100 });
    // A busy address, drained and then refused, seen before the spray.
    expect(tryMany('198.51.100.7', 10)).toBe(4);
    for (let i = 0; i < 10_000; i++) {
      admission.admit(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      if (i % 50 === 0) expect(tryMany('198.51.100.7', 1)).toBe(0);
      expect(admission.size()).toBeLessThanOrEqual(100);
    }
    // The sprayed addresses each hold a connection that never signs in: they stay counted
    // while tracked, and the table still never grows past its bound.
    advance(60_000);
    admission.admit('203.0.113.1');
    expect(admission.size()).toBeLessThanOrEqual(100);
  });

  it('drops idle entries once a minute without pressure', () => {
    const { admission, advance } = door();
    for (let i = 0; i < 50; i++) {
      const r = admission.admit(`192.0.2.${i}`);
      if (r.admitted) r.admission.closed();
    }
    expect(admission.size()).toBe(50);
    advance(60_000);
    admission.admit('203.0.113.1');
    expect(admission.size()).toBe(1);
  });
});
