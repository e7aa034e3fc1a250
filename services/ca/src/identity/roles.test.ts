import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusal } from '../testing/refusal.ts';
import { createIdentityFixture, type IdentityFixture } from '../testing/identity-fixture.ts';
import { resolveAccess } from './access-resolver.ts';

describe.each(testDatabaseKinds())('roles on %s', (kind) => {
  let f: IdentityFixture;
  beforeAll(async () => {
    f = await createIdentityFixture(kind);
  });
  afterAll(async () => {
    await f.close();
  });

  it('creates a role in its stored form, nothing allowed unless asked, and audits before and after', async () => {
    const role = await f.identity.roles.create(
      { name: 'dev', logins: ['{{email.local}}', 'deploy', 'deploy'], hostLabels: { team: ['*'], env: ['staging', 'dev'] }, maxTtl: '8h', permissions: { pty: true } },
      f.admin,
    );
    expect(role).toMatchObject({
      name: 'dev',
      logins: ['deploy', '{{email.local}}'],
      hostLabels: { env: ['dev', 'staging'], team: ['*'] },
      maxTtl: 28_800,
      permissions: { pty: true, portForwarding: false, agentForwarding: false, fileTransfer: false, x11: false },
      capabilities: [],
    });
    expect(await f.identity.roles.get('dev')).toEqual(role);
    const [event] = await f.audit.list({ type: 'role.created', limit: 1 });
    expect(event?.code).toBe('RB1000I');
    expect(event?.actor).toEqual(f.admin);
    expect(event?.details).toMatchObject({ role: 'dev', before: null, after: { name: 'dev', maxTtl: 28_800, logins: ['deploy', '{{email.local}}'] } });
  });

  it('refuses a second role of the same name with 409', async () => {
    expect((await refusal(f.identity.roles.create({ name: 'dev', maxTtl: 60 }, f.admin))).code).toBe('ERR_ROLE_EXISTS');
  });

  it.each([
    [{ name: 'Dev', maxTtl: 60 }, /role name "Dev"/],
    [{ name: 'x', maxTtl: 0 }, /positive/],
    [{ name: 'x', maxTtl: '400d' }, /at most 365d/],
    [{ name: 'x', maxTtl: 60, logins: ['{{user.name}}'] }, /unknown variable/],
    [{ name: 'x', maxTtl: 60, hostLabels: { Env: ['dev'] } }, /label key "Env"/],
    [{ name: 'x', maxTtl: 60, hostLabels: { env: ['*', 'dev'] } }, /"\*" with other values/],
    [{ name: 'x', maxTtl: 60, hostLabels: { env: [] } }, /non-empty list/],
    [{ name: 'x', maxTtl: 60, permissions: { sudo: true } }, /unknown permission "sudo"/],
    [{ name: 'x', maxTtl: 60, capabilities: ['root'] }, /unknown capability "root"/],
  ])('refuses an invalid role %j with a message that says why', async (input, message) => {
    const e = await refusal(f.identity.roles.create(input as never, f.admin));
    expect(e.status).toBe(400);
    expect(e.message).toMatch(message);
    expect(await f.db.selectFrom('roles').select('name').where('name', '=', 'x').execute()).toEqual([]);
  });

  it('updates only the fields given and audits before and after', async () => {
    const updated = await f.identity.roles.update('dev', { maxTtl: '2h', permissions: { fileTransfer: true } }, f.admin);
    expect(updated.maxTtl).toBe(7200);
    expect(updated.permissions).toMatchObject({ pty: true, fileTransfer: true });
    expect(updated.logins).toEqual(['deploy', '{{email.local}}']);
    const [event] = await f.audit.list({ type: 'role.updated', limit: 1 });
    expect(event?.details).toMatchObject({ before: { maxTtl: 28_800, permissions: { fileTransfer: false } }, after: { maxTtl: 7200, permissions: { fileTransfer: true } } });
  });

  it('refuses a literal login that a person has claimed through a template', async () => {
    await f.identity.grants.add({ user: 'carol@example.com', role: 'dev', reason: 'x' }, f.admin);
    await resolveAccess(f.db, await f.login({ email: 'carol@example.com' }), f.clock());
    const e = await refusal(f.identity.roles.create({ name: 'steal', logins: ['carol'], maxTtl: 60 }, f.admin));
    expect(e.code).toBe('ERR_LOGIN_TAKEN');
    expect(e.status).toBe(409);
  });

  it('refuses to delete a role that grants still use, and deletes it once they are revoked', async () => {
    await f.identity.roles.create({ name: 'temp', logins: ['temp'], maxTtl: 60 }, f.admin);
    const grant = await f.identity.grants.add({ group: 'g', role: 'temp', reason: 'x' }, f.admin);
    const e = await refusal(f.identity.roles.delete('temp', f.admin));
    expect(e.code).toBe('ERR_ROLE_IN_USE');
    expect(e.message).toContain(grant.id);
    await f.identity.grants.revoke(grant.id, f.admin);
    await f.identity.roles.delete('temp', f.admin);
    expect((await refusal(f.identity.roles.get('temp'))).code).toBe('ERR_UNKNOWN_ROLE');
    const [event] = await f.audit.list({ type: 'role.deleted', limit: 1 });
    expect(event?.details).toMatchObject({ role: 'temp', after: null, before: { name: 'temp' }, removedRevokedGrants: [grant.id] });
  });

  it('lists roles by name', async () => {
    expect((await f.identity.roles.list()).map((r) => r.name)).toEqual(['dev']);
  });
});
