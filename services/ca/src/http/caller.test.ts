import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockUser, upsertUserFromClaims } from '../identity/users.ts';
import { createTestCa, type TestCa } from '../testing/test-ca.ts';
import { requireCaller, type Need } from './caller.ts';
import { AUTH_DENIALS_AUDITED_PER_MINUTE } from './refusal-limiter.ts';

describe.each(testDatabaseKinds())('who may call a route, on %s', (kind) => {
  let ca: TestCa;
  beforeAll(async () => {
    ca = await createTestCa(kind);
    for (const need of ['user', 'audit', 'admin'] as const satisfies readonly Need[]) {
      ca.app.get(`/test/${need}`, { onRequest: requireCaller(ca.services, need) }, async (request) => ({ actor: request.caller!.actor, capabilities: request.caller!.capabilities }));
    }
    await ca.app.ready();
  });
  afterAll(async () => {
    await ca?.close();
  });

  const tokenFor = async (email: string) => {
    const user = await upsertUserFromClaims(ca.services.database.db, { issuer: 'https://idp.test', subject: email, email, emailVerified: true, groups: [] }, new Date());
    const { token } = await ca.services.userTokens.issue(user.id, new Date(Date.now() + 3_600_000));
    return { user, token };
  };
  const call = (need: Need, token?: string) =>
    ca.app.inject({ method: 'GET', url: `/test/${need}`, headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('lets an admin machine token through every need', async () => {
    for (const need of ['user', 'audit', 'admin'] as const) expect((await call(need, ca.adminToken)).statusCode).toBe(200);
  });

  it('gives a person the capabilities of their grants and nothing more', async () => {
    const { token } = await tokenFor('auditor@example.com');
    await ca.services.identity.grants.add({ user: 'auditor@example.com', role: 'auditor', reason: 'test' }, { kind: 'system', id: 'test' });
    const me = await call('user', token);
    expect(me.statusCode).toBe(200);
    expect(me.json().capabilities).toEqual(['audit']);
    expect(me.json().actor).toMatchObject({ kind: 'user', name: 'auditor@example.com' });
    expect((await call('audit', token)).statusCode).toBe(200);
    const admin = await call('admin', token);
    expect(admin.statusCode).toBe(403);
    expect(admin.json().error.message).toMatch(/admin capability/);
    expect((await ca.services.audit.list({ limit: 1 }))[0]?.type).toBe('auth.denied');
  });

  it('lets a person without grants ask who they are, and nothing else', async () => {
    const { token } = await tokenFor('nobody@example.com');
    expect((await call('user', token)).json().capabilities).toEqual([]);
    expect((await call('audit', token)).statusCode).toBe(403);
  });

  it('refuses a revoked or expired token, a locked person, and no token', async () => {
    const { user, token } = await tokenFor('leaver@example.com');
    expect((await call('user', token)).statusCode).toBe(200);
    await lockUser({ db: ca.services.database.db, audit: ca.services.audit, clock: () => new Date() }, user.id, 'left the company', { kind: 'system', id: 'test' });
    expect((await call('user', token)).statusCode).toBe(401);
    const other = await tokenFor('other@example.com');
    expect(await ca.services.userTokens.revoke(other.token)).toBe(true);
    expect((await call('user', other.token)).statusCode).toBe(401);
    const expired = await ca.services.userTokens.issue(other.user.id, new Date(Date.now() - 1000));
    expect((await call('user', expired.token)).statusCode).toBe(401);
    const none = await call('user');
    expect(none.statusCode).toBe(401);
    expect(none.json().error.message).toMatch(/access login/);
  });
});

// Only on PGlite: the count is in the CA's memory, whatever the database.
describe('auth.denied events per client address', () => {
  let ca: TestCa;
  let now = new Date('2026-11-23T10:00:00Z');
  beforeAll(async () => {
    ca = await createTestCa('pglite', {}, () => now);
    ca.app.get('/test/admin', { onRequest: requireCaller(ca.services, 'admin') }, async () => ({ ok: true }));
    await ca.app.ready();
  });
  afterAll(async () => {
    await ca?.close();
  });

  const denied = (remoteAddress: string) => ca.app.inject({ method: 'GET', url: '/test/admin', remoteAddress, headers: { authorization: 'Bearer acc_wrong' } });
  const head = async () => (await ca.services.audit.list({ limit: 1 }))[0]!;

  it(`audits ${AUTH_DENIALS_AUDITED_PER_MINUTE} denials a minute from one address, answers the rest alike without an event, and counts each address apart`, async () => {
    const start = (await ca.services.audit.list({ limit: 1 }))[0]?.seq ?? 0n;
    for (let i = 0; i < AUTH_DENIALS_AUDITED_PER_MINUTE; i++) expect((await denied('198.51.100.20')).statusCode).toBe(401);
    const last = await head();
    expect(last.seq).toBe(start + BigInt(AUTH_DENIALS_AUDITED_PER_MINUTE));
    expect(last).toMatchObject({ type: 'auth.denied', remote: '198.51.100.20', details: { reason: 'invalid, expired or revoked token', moreNotAudited: expect.stringContaining('not audited') } });

    // Past the limit: the same answer, no event.
    const over = await denied('198.51.100.20');
    expect([over.statusCode, over.json<{ error: { code: string } }>().error.code]).toEqual([401, 'ERR_UNAUTHENTICATED']);
    expect((await head()).seq).toBe(last.seq);
    // A good token from that address is served as ever.
    expect((await ca.app.inject({ method: 'GET', url: '/test/admin', remoteAddress: '198.51.100.20', headers: { authorization: `Bearer ${ca.adminToken}` } })).statusCode).toBe(200);

    // Another address is audited.
    expect((await denied('203.0.113.20')).statusCode).toBe(401);
    expect(await head()).toMatchObject({ seq: last.seq + 1n, remote: '203.0.113.20' });
    expect((await head()).details['moreNotAudited']).toBeUndefined();

    // A minute later the first address is audited again.
    now = new Date(now.getTime() + 61_000);
    expect((await denied('198.51.100.20')).statusCode).toBe(401);
    expect(await head()).toMatchObject({ seq: last.seq + 2n, remote: '198.51.100.20' });
    expect(await ca.services.audit.verify()).toMatchObject({ ok: true });
  });
});
