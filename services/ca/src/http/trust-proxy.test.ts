import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.ts';
import { createTestCa, type TestCa } from '../testing/test-ca.ts';

/** The client address the CA records for a refused request (its auth.denied event). */
async function recordedAddress(ca: TestCa, headers: Record<string, string>, remoteAddress = '127.0.0.1'): Promise<string | null> {
  const response = await ca.app.inject({ method: 'GET', url: '/v1/audit', remoteAddress, headers: { authorization: 'Bearer acc_wrong', ...headers } });
  expect(response.statusCode).toBe(401);
  return (await ca.services.audit.list({ type: 'auth.denied', limit: 1 }))[0]!.remote;
}

describe('which client address the CA believes', () => {
  let plain: TestCa;
  let proxied: TestCa;
  beforeAll(async () => {
    plain = await createTestCa('pglite');
    proxied = await createTestCa('pglite', { ACCESS_TRUST_PROXY_FROM: '127.0.0.1, 10.20.0.0/16' });
  });
  afterAll(async () => {
    await plain?.close();
    await proxied?.close();
  });

  it('by default, the peer: an X-Forwarded-For header cannot forge the address', async () => {
    expect(await recordedAddress(plain, { 'x-forwarded-for': '198.51.100.9' })).toBe('127.0.0.1');
  });

  it('behind a proxy named in ACCESS_TRUST_PROXY_FROM, the client it names, through a chain of named proxies', async () => {
    expect(proxied.config.trustProxyFrom).toEqual(['127.0.0.1', '10.20.0.0/16']);
    expect(await recordedAddress(proxied, { 'x-forwarded-for': '198.51.100.9' })).toBe('198.51.100.9');
    // The client sent its own header to a proxy at 10.20.3.4, which passed it to the one at 127.0.0.1:
    // only the address the first named proxy saw is believed, not what the client wrote.
    expect(await recordedAddress(proxied, { 'x-forwarded-for': '1.1.1.1, 198.51.100.10, 10.20.3.4' })).toBe('198.51.100.10');
  });

  it('not from a peer that is not named: its header is ignored', async () => {
    expect(await recordedAddress(proxied, { 'x-forwarded-for': '198.51.100.11' }, '203.0.113.5')).toBe('203.0.113.5');
  });

  it.each([
    ['everyone', '0.0.0.0/0', 'would trust what it says of the client from any address'],
    ['a name', 'proxy.internal', 'ACCESS_TRUST_PROXY_FROM takes addresses and CIDRs'],
    ['a bad prefix', '10.0.0.0/33', 'a CIDR prefix must be 0-32'],
  ])('refuses %s at start, naming the setting', (_what, value, message) => {
    const load = () => loadConfig({ dataDir: '/tmp/unused' }, { ACCESS_TRUST_PROXY_FROM: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
  });
});
