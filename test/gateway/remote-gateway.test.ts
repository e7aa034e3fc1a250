import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@access/db';
import { startGatewayStack, type Engineer, type GatewayStack } from '../support/gateway-stack.ts';

/**
 * A gateway running apart from the CA asks it over the authenticated gateway API: it never
 * holds a CA key, and the CA checks each engineer's certificate and grants itself.
 */
describe('a gateway apart from the CA', () => {
  let database: TestDatabase;
  let stack: GatewayStack;
  let alice: Engineer;
  let gatewayToken: string;
  let aliceToken: string;

  beforeAll(async () => {
    // A PostgreSQL database of its own, shared by the CA and the gateway (dropped at the end).
    database = await createTestDatabase('postgres');
    stack = await startGatewayStack({ databaseUrl: database.url!, remoteGateway: true });
    await stack.addTarget('web-1');
    alice = await stack.addEngineer('alice@example.com', ['gwalice']);
    const { services } = stack.server;
    gatewayToken = (await services.tokens.create({ role: 'gateway', description: 'probe' }, { kind: 'cli', id: 'test' })).token;
    aliceToken = (await services.userTokens.issue(alice.userId, new Date(Date.now() + 3_600_000))).token;
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await database?.close();
  });

  it('carries a session, with the upstream certificate signed by the CA over HTTP', async () => {
    const r = await alice.ssh(['gwalice@web-1', 'id -un']);
    expect(r.stdout).toBe('gwalice\n');
    expect(r.code).toBe(0);
    expect(stack.log.join('\n')).toMatch(/remote-gateway: alice@example.com → gwalice@web-1/);
    const issued = await stack.server.services.database.db.selectFrom('certificates').select(['key_id', 'principals', 'requested_by']).where('key_id', 'like', 'alice@example.com con_%').execute();
    expect(issued).toHaveLength(1);
    expect(issued[0]).toMatchObject({ principals: ['gwalice'], requested_by: `user:${alice.userId}` });
  });

  it('takes a gateway token for the gateway routes only, and only a gateway token there', async () => {
    const post = (path: string, token: string, body: unknown) =>
      fetch(`${stack.server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await fetch(`${stack.server.url}/v1/roles`, { headers: { authorization: `Bearer ${gatewayToken}` } })).status).toBe(403);
    expect((await fetch(`${stack.server.url}/v1/me`, { headers: { authorization: `Bearer ${gatewayToken}` } })).status).toBe(403);
    expect((await post('/v1/certs/user', gatewayToken, {})).status).toBe(403);
    expect((await post('/v1/gateway/hosts/lookup', aliceToken, { destination: 'web-1' })).status).toBe(403);
    const found = await post('/v1/gateway/hosts/lookup', gatewayToken, { destination: 'web-1' });
    expect(found.status).toBe(200);
    expect(await found.json()).toMatchObject({ name: 'web-1' });
  });

  it('refuses a certificate the CA did not issue to a person, whatever the gateway says', async () => {
    const { services } = stack.server;
    // A certificate from the user CA, but issued to a machine token, not through access login.
    const forged = await services.authority.sign(
      { type: 'user', publicKey: readFileSync(`${alice.home}/key.pub`, 'utf8'), principals: ['gwalice'], ttl: '1h', keyId: 'alice@example.com' },
      { actor: { kind: 'token', id: 'tok_test' }, remote: null },
    );
    const res = await fetch(`${stack.server.url}/v1/gateway/identify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gatewayToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ certificate: forged.certificate }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_CERT_UNKNOWN');
  });
});
