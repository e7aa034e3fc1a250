import type { AuditEventType } from '@access/audit';
import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, type TestCa } from '../../testing/test-ca.ts';
import { callerWith, lastAudit, signedInPerson, type Person } from './route-test-kit.ts';

const NONE = { pty: false, portForwarding: false, agentForwarding: false, fileTransfer: false, x11: false };

/**
 * Every admin change is one audit event carrying who made it (the event's actor) and the
 * object `before` and `after` the change (null where there is none): checked exactly, per route.
 */
describe.each(testDatabaseKinds())('admin changes are audited with actor, before and after, on %s', (kind) => {
  const now = new Date('2030-03-01T12:00:00.000Z');
  let ca: TestCa;
  let head: Person;
  let call: ReturnType<typeof callerWith>;
  let actor: { kind: string; id: string; name: string };
  let grantId: string;
  beforeAll(async () => {
    ca = await createTestCa(kind, {}, () => now);
    head = await signedInPerson(ca, 'head@example.com', ['admin']);
    head = { ...head, token: (await ca.services.userTokens.issue(head.user.id, new Date('2031-01-01T00:00:00Z'))).token };
    call = callerWith(ca, head.token);
    actor = { kind: 'user', id: head.user.id, name: 'head@example.com' };
  });
  afterAll(async () => {
    await ca?.close();
  });

  /** The newest event of this type, as `{ actor, details }`. */
  const audited = async (type: AuditEventType) => {
    const event = await lastAudit(ca, type);
    return { actor: event?.actor, details: event?.details };
  };
  const role = { name: 'ops', description: 'operations', logins: ['deploy'], hostLabels: { env: ['prod'] }, maxTtl: 3600, permissions: { ...NONE, pty: true }, capabilities: [] };
  const host = { name: 'db-1', address: '10.0.0.2:22', labels: { env: 'prod' } };

  it('POST /v1/roles: before null, after the role', async () => {
    expect((await call('POST', '/v1/roles', { ...role, maxTtl: '1h', permissions: { pty: true } })).statusCode).toBe(201);
    expect(await audited('role.created')).toEqual({ actor, details: { role: 'ops', before: null, after: role } });
  });

  it('PATCH /v1/roles/:name: the whole role before and after', async () => {
    expect((await call('PATCH', '/v1/roles/ops', { maxTtl: '2h', logins: ['deploy', 'backup'] })).statusCode).toBe(200);
    const after = { ...role, maxTtl: 7200, logins: ['backup', 'deploy'] };
    expect(await audited('role.updated')).toEqual({ actor, details: { role: 'ops', before: role, after } });
  });

  it('POST /v1/grants: before null, after the grant', async () => {
    const res = await call('POST', '/v1/grants', { user: 'Ann@example.com', role: 'ops', expires: '30d', reason: 'on call' });
    grantId = res.json().id;
    const grant = { id: grantId, subjectKind: 'user', subject: 'ann@example.com', role: 'ops', expiresAt: '2030-03-31T12:00:00.000Z', reason: 'on call', grantedBy: `user:${head.user.id}`, revokedAt: null, revokedBy: null };
    expect(await audited('grant.created')).toEqual({ actor, details: { grantId, before: null, after: grant } });
  });

  it('DELETE /v1/grants/:id: the grant before and after its revocation', async () => {
    expect((await call('DELETE', `/v1/grants/${grantId}`)).statusCode).toBe(200);
    const before = { id: grantId, subjectKind: 'user', subject: 'ann@example.com', role: 'ops', expiresAt: '2030-03-31T12:00:00.000Z', reason: 'on call', grantedBy: `user:${head.user.id}`, revokedAt: null, revokedBy: null };
    const after = { ...before, revokedAt: now.toISOString(), revokedBy: `user:${head.user.id}` };
    expect(await audited('grant.revoked')).toEqual({ actor, details: { grantId, before, after } });
  });

  it('DELETE /v1/roles/:name: the role before, after null, and the revoked grants that went with it', async () => {
    expect((await call('DELETE', '/v1/roles/ops')).statusCode).toBe(204);
    const before = { ...role, maxTtl: 7200, logins: ['backup', 'deploy'] };
    expect(await audited('role.deleted')).toEqual({ actor, details: { role: 'ops', before, after: null, removedRevokedGrants: [grantId] } });
  });

  it('POST /v1/hosts: before null, after the host', async () => {
    expect((await call('POST', '/v1/hosts', host)).statusCode).toBe(201);
    expect(await audited('host.created')).toEqual({ actor, details: { host: 'db-1', before: null, after: host } });
  });

  it('PATCH /v1/hosts/:name: the host before and after', async () => {
    expect((await call('PATCH', '/v1/hosts/db-1', { labels: { env: 'prod', team: 'data' } })).statusCode).toBe(200);
    const after = { ...host, labels: { env: 'prod', team: 'data' } };
    expect(await audited('host.updated')).toEqual({ actor, details: { host: 'db-1', before: host, after } });
  });

  it('DELETE /v1/hosts/:name: the host before, after null', async () => {
    expect((await call('DELETE', '/v1/hosts/db-1')).statusCode).toBe(204);
    expect(await audited('host.deleted')).toEqual({ actor, details: { host: 'db-1', before: { ...host, labels: { env: 'prod', team: 'data' } }, after: null } });
  });

  it('POST /v1/users/:id/lock and /unlock: the lock state before and after', async () => {
    const leaver = await signedInPerson(ca, 'leaver@example.com');
    expect((await call('POST', `/v1/users/${leaver.user.id}/lock`, { reason: 'left the company' })).statusCode).toBe(200);
    const unlocked = { lockedAt: null, lockReason: null };
    const locked = { lockedAt: now.toISOString(), lockReason: 'left the company' };
    expect(await audited('user.locked')).toEqual({ actor, details: { userId: leaver.user.id, email: 'leaver@example.com', before: unlocked, after: locked } });
    expect((await call('POST', `/v1/users/${leaver.user.id}/unlock`)).statusCode).toBe(200);
    expect(await audited('user.unlocked')).toEqual({ actor, details: { userId: leaver.user.id, email: 'leaver@example.com', before: locked, after: unlocked } });
  });
});
