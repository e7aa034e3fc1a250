import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockUser, upsertUserFromClaims } from '../identity/users.ts';
import { createTestCa, type TestCa } from '../testing/test-ca.ts';
import { requireCaller, type Need } from './caller.ts';

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
