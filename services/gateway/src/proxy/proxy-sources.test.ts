import { describe, expect, it } from 'vitest';
import { parseProxySources, ProxySourcesError } from './proxy-sources.ts';

describe('the PROXY protocol allow list', () => {
  it('is off when empty: nobody is trusted', () => {
    expect(parseProxySources('').trusts('127.0.0.1')).toBe(false);
    expect(parseProxySources(undefined).entries).toEqual([]);
  });

  it('trusts listed addresses and CIDRs, also as IPv4-mapped IPv6 peers', () => {
    const sources = parseProxySources(' 10.0.0.5, 10.1.0.0/16 ,fd00::/8');
    expect(sources.entries).toEqual(['10.0.0.5', '10.1.0.0/16', 'fd00::/8']);
    for (const peer of ['10.0.0.5', '::ffff:10.0.0.5', '10.1.200.3', 'fd12::1']) expect(sources.trusts(peer)).toBe(true);
    for (const peer of ['10.0.0.6', '10.2.0.1', 'fe80::1', '', 'not-an-address']) expect(sources.trusts(peer)).toBe(false);
  });

  it.each(['10.0.0.0/33', 'example.com', '10.0.0.1/8/1', '10.0.0.0/x', '0.0.0.0/0', '::/0', 'fe80::1%eth0'])('refuses "%s" at boot', (entry) => {
    expect(() => parseProxySources(entry)).toThrow(ProxySourcesError);
  });
});
