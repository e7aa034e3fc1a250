import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, type TestCa } from '../../testing/test-ca.ts';
import { callerWith, signedInPerson } from './route-test-kit.ts';

const GATEWAY_ROUTES = ['/v1/gateway/identify', '/v1/gateway/hosts/lookup', '/v1/gateway/authorize', '/v1/gateway/host-certificate'];

describe('the gateway API', () => {
  let ca: TestCa;
  let gatewayToken: string;
  beforeAll(async () => {
    ca = await createTestCa('pglite');
    gatewayToken = (await ca.services.tokens.create({ role: 'gateway', description: 'gw' }, { kind: 'cli', id: 'test' })).token;
    await callerWith(ca, ca.adminToken)('POST', '/v1/hosts', { name: 'web-1', address: '10.0.0.1:22', labels: { env: 'dev' } });
  });
  afterAll(async () => {
    await ca?.close();
  });

  it('lists every /v1/gateway route here', () => {
    const tree = ca.app.printRoutes({ commonPrefix: false });
    const found = GATEWAY_ROUTES.filter((r) => tree.includes(r.replace('/v1/gateway/', '')));
    expect(found).toEqual(GATEWAY_ROUTES);
    expect(tree.match(/gateway\//g)?.length ?? 0).toBeLessThanOrEqual(GATEWAY_ROUTES.length);
  });

  it('refuses admins, auditors and anonymous callers: only a gateway token may ask', async () => {
    const auditor = await signedInPerson(ca, 'auditor@example.com', ['auditor']);
    for (const route of GATEWAY_ROUTES) {
      expect({ route, status: (await callerWith(ca, ca.adminToken)('POST', route, {})).statusCode }).toEqual({ route, status: 403 });
      expect({ route, status: (await callerWith(ca, auditor.token)('POST', route, {})).statusCode }).toEqual({ route, status: 403 });
      expect({ route, status: (await callerWith(ca, '')('POST', route, {})).statusCode }).toEqual({ route, status: 401 });
    }
  });

  it('refuses a gateway token everything else', async () => {
    const call = callerWith(ca, gatewayToken);
    expect((await call('GET', '/v1/me')).statusCode).toBe(403);
    expect((await call('GET', '/v1/roles')).statusCode).toBe(403);
    expect((await call('GET', '/v1/sessions')).statusCode).toBe(403);
    expect((await call('POST', '/v1/certs/host', { publicKey: 'x', principals: ['web-1'], ttl: '5m' })).statusCode).toBe(403);
  });

  it('checks what a gateway sends: bad bodies are 400, unknown hosts 404, foreign host names 403', async () => {
    const call = callerWith(ca, gatewayToken);
    expect((await call('POST', '/v1/gateway/identify', { certificate: 'not a certificate' })).statusCode).toBe(403);
    expect((await call('POST', '/v1/gateway/identify', { certificate: 'x', extra: 1 })).statusCode).toBe(400);
    expect((await call('POST', '/v1/gateway/hosts/lookup', { destination: 'db-9' })).statusCode).toBe(404);
    expect((await call('POST', '/v1/gateway/hosts/lookup', { destination: 'web-1' })).json()).toEqual({ name: 'web-1', address: '10.0.0.1:22', labels: { env: 'dev' } });
    expect((await call('POST', '/v1/gateway/hosts/lookup', { destination: '10.0.0.1' })).json()).toMatchObject({ name: 'web-1' });
    const publicKey = (await ca.services.keyring.published()).find((k) => k.kind === 'user')!.publicKey;
    // The CA signs host certificates for enrolled hosts and the gateway's own names only.
    const foreign = await call('POST', '/v1/gateway/host-certificate', { names: ['bank.example.com'], publicKey });
    expect(foreign.statusCode).toBe(403);
    const ok = await call('POST', '/v1/gateway/host-certificate', { names: ['web-1'], publicKey });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().certificate).toMatch(/^ssh-ed25519-cert-v01@openssh\.com /);
  });
});
