import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, type TestCa } from '../../testing/test-ca.ts';
import { callerWith, signedInPerson } from './route-test-kit.ts';

describe.each(testDatabaseKinds())('a signed-in caller asks about themselves, on %s', (kind) => {
  let ca: TestCa;
  beforeAll(async () => {
    ca = await createTestCa(kind);
    const admin = callerWith(ca, ca.adminToken);
    await admin('POST', '/v1/roles', { name: 'dev', logins: ['{{email.local}}'], hostLabels: { env: ['dev'] }, maxTtl: '8h', permissions: { pty: true } });
    await admin('POST', '/v1/roles', { name: 'ops', logins: ['deploy'], hostLabels: { env: ['dev', 'prod'] }, maxTtl: '1h' });
    await admin('POST', '/v1/grants', { group: 'ops', role: 'ops', reason: 'the ops team' });
    await admin('POST', '/v1/hosts', { name: 'web-1', address: '10.0.0.1:22', labels: { env: 'dev' } });
    await admin('POST', '/v1/hosts', { name: 'db-1', address: '10.0.0.2:5432', labels: { env: 'prod' } });
    await admin('POST', '/v1/hosts', { name: 'build-1', address: '10.0.0.3:22', labels: { team: 'ci' } });
  });
  afterAll(async () => {
    await ca?.close();
  });

  it('lists exactly the hosts the roles of a person select, with the logins resolved for them', async () => {
    const bob = await signedInPerson(ca, 'Bob@example.com', ['dev']);
    const hosts = await callerWith(ca, bob.token)('GET', '/v1/me/hosts');
    expect(hosts.statusCode).toBe(200);
    expect(hosts.json()).toEqual([{ name: 'web-1', address: '10.0.0.1:22', labels: { env: 'dev' }, logins: ['bob'] }]);
  });

  it('joins the logins of every role that selects a host', async () => {
    const carol = await signedInPerson(ca, 'carol@example.com', ['dev'], ['ops']);
    const hosts = (await callerWith(ca, carol.token)('GET', '/v1/me/hosts')).json();
    expect(hosts.map((h: { name: string; logins: string[] }) => [h.name, h.logins])).toEqual([
      ['db-1', ['deploy']],
      ['web-1', ['carol', 'deploy']],
    ]);
  });

  it('tells a person their roles, principals, capabilities, permissions and shortest TTL', async () => {
    const dana = await signedInPerson(ca, 'dana@example.com', ['dev', 'auditor'], ['ops']);
    const me = await callerWith(ca, dana.token)('GET', '/v1/me');
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({
      user: { id: dana.user.id, email: 'dana@example.com', displayName: null, groups: ['ops'], login: 'dana' },
      roles: ['auditor', 'dev', 'ops'],
      principals: ['dana', 'deploy'],
      capabilities: ['audit'],
      permissions: { pty: true, portForwarding: false, agentForwarding: false, fileTransfer: false, x11: false },
      maxTtl: 3600,
      grants: expect.any(Array),
    });
    expect(me.json().grants.map((g: { role: string }) => g.role)).toEqual(['dev', 'auditor', 'ops']);
  });

  it('shows a person exactly the grants their access is made from: their own and their groups\', active only', async () => {
    const admin = callerWith(ca, ca.adminToken);
    const gil = await signedInPerson(ca, 'Gil@example.com', ['dev'], ['ops']);
    const revoked = (await admin('POST', '/v1/grants', { user: 'gil@example.com', role: 'ops', reason: 'old' })).json();
    await admin('DELETE', `/v1/grants/${revoked.id}`);
    await admin('POST', '/v1/grants', { user: 'someone@example.com', role: 'ops', reason: 'not gil' });
    await admin('POST', '/v1/grants', { group: 'web', role: 'ops', reason: 'a group gil is not in' });
    const own = (await admin('GET', '/v1/grants?user=gil@example.com&active=true')).json();
    const group = (await admin('GET', '/v1/grants?group=ops&active=true')).json();
    const me = (await callerWith(ca, gil.token)('GET', '/v1/me')).json();
    expect(me.grants).toEqual([...own, ...group]);
    expect(me.grants.map((g: { role: string; subject: string }) => [g.role, g.subject])).toEqual([
      ['dev', 'gil@example.com'],
      ['ops', 'ops'],
    ]);
    expect(me.grants[0]).toMatchObject({ reason: 'test setup', active: true, lastUsedAt: null, expiresAt: null });
  });

  it('lists no host for roles that select none, and none once the grant is revoked', async () => {
    const erin = await signedInPerson(ca, 'erin@example.com', ['admin']);
    const call = callerWith(ca, erin.token);
    expect((await call('GET', '/v1/me/hosts')).json()).toEqual([]);
    const grantId = (await ca.services.identity.grants.list({ user: 'erin@example.com' }))[0]!.id;
    await callerWith(ca, ca.adminToken)('DELETE', `/v1/grants/${grantId}`);
    expect((await call('GET', '/v1/me')).json()).toMatchObject({ roles: [], capabilities: [], maxTtl: null });
    expect((await call('GET', '/v1/me/hosts')).json()).toEqual([]);
  });

  it('describes a machine token as no person, with its capabilities', async () => {
    const call = callerWith(ca, ca.adminToken);
    expect((await call('GET', '/v1/me')).json()).toMatchObject({ user: null, roles: [], principals: [], capabilities: ['admin', 'audit'], maxTtl: null });
    const hosts = await call('GET', '/v1/me/hosts');
    expect([hosts.statusCode, hosts.json().error.code]).toEqual([400, 'ERR_NOT_A_PERSON']);
  });

  it('ends the calling token at logout and no other', async () => {
    const fay = await signedInPerson(ca, 'fay@example.com', ['dev']);
    const other = await ca.services.userTokens.issue(fay.user.id, new Date(Date.now() + 3_600_000));
    const call = callerWith(ca, fay.token);
    const out = await call('POST', '/v1/logout');
    expect(out.statusCode).toBe(204);
    expect(out.body).toBe('');
    expect((await call('GET', '/v1/me')).statusCode).toBe(401);
    expect((await call('POST', '/v1/logout')).statusCode).toBe(401);
    expect((await callerWith(ca, other.token)('GET', '/v1/me')).statusCode).toBe(200);
  });

  it('refuses logout for a machine token, which keeps working', async () => {
    const call = callerWith(ca, ca.adminToken);
    const out = await call('POST', '/v1/logout');
    expect([out.statusCode, out.json().error.code]).toEqual([400, 'ERR_NOT_A_PERSON']);
    expect((await call('GET', '/v1/me')).statusCode).toBe(200);
  });
});
