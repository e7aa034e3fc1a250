import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoginHarness, type LoginHarness } from './testing/login-harness.ts';

const ADMIN = { kind: 'system' as const, id: 'test' };

describe.each(testDatabaseKinds())('access login records the grants it was made from, on %s', (kind) => {
  let h: LoginHarness;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    h = await createLoginHarness(kind);
    const { roles, grants } = h.ca.services.identity;
    await roles.create({ name: 'engineer', logins: ['{{email.local}}'], hostLabels: { env: ['dev'] }, maxTtl: '8h', permissions: { pty: true } }, ADMIN);
    await roles.create({ name: 'deployer', logins: ['deploy'], hostLabels: { env: ['dev'] }, maxTtl: '1h' }, ADMIN);
    const add = async (name: string, input: { user?: string; group?: string; role?: string }) => {
      ids[name] = (await grants.add({ role: 'engineer', reason: 'grant use test', ...input }, ADMIN)).id;
    };
    // Bob (the dev IdP's bob, in the group "engineers") gets his access from the first two only.
    await add('bob-direct', { user: 'bob@example.com' });
    await add('engineers-group', { group: 'engineers', role: 'deployer' });
    await add('bob-revoked', { user: 'bob@example.com', role: 'deployer' });
    await add('bob-expired', { user: 'bob@example.com' });
    await add('admins-group', { group: 'admins' });
    await add('alice-direct', { user: 'alice@example.com' });
    await add('auditors-group', { group: 'auditors', role: 'auditor' });
    await grants.revoke(ids['bob-revoked']!, ADMIN);
    await h.ca.services.database.db.updateTable('grants').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', ids['bob-expired']!).execute();
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A whole browser login: start, IdP sign-in, callback, redeem; returns the CLI's result. */
  async function login(user: string): Promise<Record<string, unknown>> {
    const started = await h.start('browser');
    const toIdp = await h.ca.app.inject({ method: 'GET', url: h.local(String(started.body['browserUrl'])) });
    const back = await h.ca.app.inject({ method: 'GET', url: h.local(await h.signIn(String(toIdp.headers.location), user)) });
    const loopback = new URL(String(back.headers.location));
    const payload = { code: loopback.searchParams.get('code'), secret: started.secret };
    const redeemed = await h.ca.app.inject({ method: 'POST', url: `/v1/login/${String(started.body['loginId'])}/redeem`, payload });
    expect(redeemed.statusCode).toBe(200);
    return redeemed.json();
  }

  /** Grant name → last_used_at, for every grant of the test. */
  async function lastUse(): Promise<Record<string, Date | null>> {
    const rows = await h.ca.services.database.db.selectFrom('grants').select(['id', 'last_used_at']).execute();
    return Object.fromEntries(Object.entries(ids).map(([name, id]) => [name, rows.find((r) => r.id === id)!.last_used_at]));
  }

  it('marks exactly the grants that made a certificate as used, at the login, and names them in login.completed', async () => {
    const before = Date.now();
    const result = await login('bob');
    const after = Date.now();
    expect(result['principals']).toEqual(['bob', 'deploy']);
    const used = await lastUse();
    for (const name of ['bob-direct', 'engineers-group']) {
      expect(used[name]!.getTime()).toBeGreaterThanOrEqual(before);
      expect(used[name]!.getTime()).toBeLessThanOrEqual(after);
    }
    expect(used['engineers-group']).toEqual(used['bob-direct']);
    expect({ ...used, 'bob-direct': 'used', 'engineers-group': 'used' }).toEqual({
      'bob-direct': 'used',
      'engineers-group': 'used',
      'bob-revoked': null,
      'bob-expired': null,
      'admins-group': null,
      'alice-direct': null,
      'auditors-group': null,
    });
    const [completed] = await h.ca.services.audit.list({ type: 'login.completed', limit: 1 });
    expect(completed!.details['grantIds']).toEqual([ids['bob-direct'], ids['engineers-group']].sort());
    const listed = await h.ca.app.inject({ method: 'GET', url: '/v1/grants?user=bob@example.com&active=true', headers: { authorization: `Bearer ${h.ca.adminToken}` } });
    expect(listed.json()).toEqual([expect.objectContaining({ id: ids['bob-direct'], lastUsedAt: used['bob-direct']!.toISOString() })]);
  });

  it('moves the last use forward at the next login', async () => {
    const first = (await lastUse())['bob-direct']!;
    h.advance(120);
    await login('bob');
    const used = await lastUse();
    expect(used['bob-direct']!.getTime()).toBeGreaterThanOrEqual(first.getTime() + 120_000);
    expect(used['engineers-group']).toEqual(used['bob-direct']);
    expect(used['alice-direct']).toBeNull();
  });

  it('marks the grant of an auditor, whose login gives an API token and no certificate', async () => {
    const result = await login('carol');
    expect(result['certificate']).toBeNull();
    const used = await lastUse();
    expect(used['auditors-group']).toBeInstanceOf(Date);
    expect(used['alice-direct']).toBeNull();
    expect(used['admins-group']).toBeNull();
  });
});
