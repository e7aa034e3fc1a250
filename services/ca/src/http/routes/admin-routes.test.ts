import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, type TestCa } from '../../testing/test-ca.ts';
import { callerWith, lastAudit, signedInPerson } from './route-test-kit.ts';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe.each(testDatabaseKinds())('admin routes for roles, grants, hosts and users, on %s', (kind) => {
  let ca: TestCa;
  beforeAll(async () => {
    ca = await createTestCa(kind);
  });
  afterAll(async () => {
    await ca?.close();
  });

  const admins = [
    { who: 'a machine token', as: async () => ({ token: ca.adminToken, actor: { kind: 'token' } }) },
    {
      who: 'a person holding the built-in admin role',
      as: async () => ({ token: (await signedInPerson(ca, 'head@example.com', ['admin'])).token, actor: { kind: 'user', name: 'head@example.com' } }),
    },
  ];

  it.each(admins)('lets $who create, list, change and remove roles, grants and hosts, each change audited', async ({ as }) => {
    const { token, actor } = await as();
    const call = callerWith(ca, token);
    const p = actor.kind === 'token' ? 'm' : 'p';
    const role = `dev-${p}`;
    const host = `web-${p}`;
    const audited = async (type: Parameters<typeof lastAudit>[1]) => {
      const event = await lastAudit(ca, type);
      expect(event?.actor).toMatchObject(actor);
      return event!.details;
    };

    const created = await call('POST', '/v1/roles', { name: role, logins: ['{{email.local}}'], hostLabels: { env: ['dev'] }, maxTtl: '8h', permissions: { pty: true } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: role, logins: ['{{email.local}}'], hostLabels: { env: ['dev'] }, maxTtl: 28_800, capabilities: [] });
    expect(created.json().permissions).toEqual({ pty: true, portForwarding: false, agentForwarding: false, fileTransfer: false, x11: false });
    expect(created.json().createdAt).toMatch(ISO);
    expect(await audited('role.created')).toMatchObject({ role, before: null, after: { name: role, maxTtl: 28_800 } });
    expect((await call('GET', '/v1/roles')).json().map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining(['admin', 'auditor', role]));
    expect((await call('GET', `/v1/roles/${role}`)).json()).toEqual(created.json());

    const patched = await call('PATCH', `/v1/roles/${role}`, { maxTtl: '1h', permissions: { portForwarding: true } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ maxTtl: 3600, permissions: { pty: true, portForwarding: true } });
    expect(await audited('role.updated')).toMatchObject({ role, before: { maxTtl: 28_800 }, after: { maxTtl: 3600 } });

    const granted = await call('POST', '/v1/grants', { user: `Bob-${p}@Example.com`, role, expires: '30d', reason: 'on call this month' });
    expect(granted.statusCode).toBe(201);
    const grant = granted.json();
    expect(grant).toMatchObject({ subjectKind: 'user', subject: `bob-${p}@example.com`, role, reason: 'on call this month', revokedAt: null, active: true });
    expect(Date.parse(grant.expiresAt) - Date.parse(grant.createdAt)).toBe(30 * 86_400_000);
    expect(await audited('grant.created')).toMatchObject({ grantId: grant.id, before: null, after: { role } });
    expect((await call('GET', `/v1/grants?role=${role}&active=true`)).json()).toEqual([grant]);
    expect((await call('GET', `/v1/grants?user=bob-${p}@example.com`)).json()).toEqual([grant]);
    expect((await call('GET', `/v1/grants?role=${role}&active=false`)).json()).toEqual([]);

    const added = await call('POST', '/v1/hosts', { name: host, address: '127.0.0.2:22', labels: { env: 'dev' } });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({ name: host, address: '127.0.0.2:22', labels: { env: 'dev' }, lastSeenAt: null });
    expect(await audited('host.created')).toMatchObject({ host, before: null, after: { labels: { env: 'dev' } } });
    const named = (r: { json(): { name: string }[] }) => r.json().map((h) => h.name);
    expect(named(await call('GET', '/v1/hosts?label=env=dev'))).toContain(host);
    const changedHost = await call('PATCH', `/v1/hosts/${host}`, { labels: { env: 'prod' } });
    expect(changedHost.json()).toMatchObject({ name: host, address: '127.0.0.2:22', labels: { env: 'prod' } });
    expect(await audited('host.updated')).toMatchObject({ host, before: { labels: { env: 'dev' } }, after: { labels: { env: 'prod' } } });
    expect(named(await call('GET', '/v1/hosts?label=env=dev'))).not.toContain(host);
    expect(named(await call('GET', '/v1/hosts?label=env=prod'))).toContain(host);

    const inUse = await call('DELETE', `/v1/roles/${role}`);
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json().error.code).toBe('ERR_ROLE_IN_USE');

    const revoked = await call('DELETE', `/v1/grants/${grant.id}`);
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({ id: grant.id, active: false, revokedBy: expect.stringMatching(/^(token|user):/) });
    expect(revoked.json().revokedAt).toMatch(ISO);
    expect(await audited('grant.revoked')).toMatchObject({ grantId: grant.id, before: { revokedAt: null }, after: { revokedAt: revoked.json().revokedAt } });
    expect((await call('DELETE', `/v1/grants/${grant.id}`)).statusCode).toBe(409);
    expect((await call('GET', `/v1/grants?role=${role}&active=false`)).json()).toEqual([revoked.json()]);

    expect((await call('DELETE', `/v1/roles/${role}`)).statusCode).toBe(204);
    expect(await audited('role.deleted')).toMatchObject({ role, before: { name: role }, after: null });
    expect((await call('GET', `/v1/roles/${role}`)).statusCode).toBe(404);
    expect((await call('DELETE', `/v1/hosts/${host}`)).statusCode).toBe(204);
    expect(await audited('host.deleted')).toMatchObject({ host, before: { name: host }, after: null });
    expect((await call('GET', `/v1/hosts/${host}`)).statusCode).toBe(404);
  });

  it.each(admins)('lets $who list people and lock and unlock one, which ends their tokens', async ({ as }) => {
    const { token, actor } = await as();
    const call = callerWith(ca, token);
    const email = `leaver-${actor.kind}@example.com`;
    const leaver = await signedInPerson(ca, email);
    const listed = (await call('GET', '/v1/users')).json().find((u: { email: string }) => u.email === email);
    expect(listed).toMatchObject({ id: leaver.user.id, emailVerified: true, groups: [], login: null, lockedAt: null });
    expect(listed.createdAt).toMatch(ISO);

    const locked = await call('POST', `/v1/users/${leaver.user.id}/lock`, { reason: 'left the company' });
    expect(locked.statusCode).toBe(200);
    expect(locked.json()).toMatchObject({ id: leaver.user.id, lockReason: 'left the company', lockedAt: expect.stringMatching(ISO) });
    expect((await lastAudit(ca, 'user.locked'))?.details).toMatchObject({ userId: leaver.user.id, before: { lockedAt: null }, after: { lockReason: 'left the company' } });
    expect((await callerWith(ca, leaver.token)('GET', '/v1/me')).statusCode).toBe(401);

    const unlocked = await call('POST', `/v1/users/${leaver.user.id}/unlock`);
    expect(unlocked.json()).toMatchObject({ lockedAt: null, lockReason: null });
    expect((await lastAudit(ca, 'user.unlocked'))?.actor).toMatchObject(actor);
    // The lock ended the token for good: the person signs in again.
    expect((await callerWith(ca, leaver.token)('GET', '/v1/me')).statusCode).toBe(401);
    expect((await call('POST', '/v1/users/usr_0000000000000000/lock', { reason: 'x' })).statusCode).toBe(404);
  });

  it('answers 404 for an unknown role, grant or host and 409 for one that exists', async () => {
    const call = callerWith(ca, ca.adminToken);
    for (const url of ['/v1/roles/nope', '/v1/hosts/nope']) expect((await call('GET', url)).statusCode).toBe(404);
    for (const url of ['/v1/roles/nope', '/v1/hosts/nope', '/v1/grants/grt_0000000000000000']) expect((await call('DELETE', url)).statusCode).toBe(404);
    expect((await call('PATCH', '/v1/hosts/nope', { address: '10.0.0.1:22' })).statusCode).toBe(404);
    expect((await call('POST', '/v1/grants', { user: 'x@example.com', role: 'nope', reason: 'x' })).json().error.code).toBe('ERR_UNKNOWN_ROLE');
    const dup = await call('POST', '/v1/roles', { name: 'auditor', maxTtl: '1h' });
    expect([dup.statusCode, dup.json().error.code]).toEqual([409, 'ERR_ROLE_EXISTS']);
  });
});
