import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusal } from '../testing/refusal.ts';
import { createIdentityFixture, type IdentityFixture } from '../testing/identity-fixture.ts';
import { resolveAccess } from './access-resolver.ts';
import type { RoleInput } from './role-input.ts';
import { lockUser } from './users.ts';

describe.each(testDatabaseKinds())('resolveAccess on %s', (kind) => {
  let f: IdentityFixture;
  let n = 0;
  /** A role with a name (and email) unique to the test, so tests share one database. */
  const role = async (input: Partial<RoleInput> = {}) => (await f.identity.roles.create({ name: `r${++n}`, maxTtl: '8h', ...input }, f.admin)).name;
  const email = () => `person${++n}@example.com`;

  beforeAll(async () => {
    f = await createIdentityFixture(kind);
  });
  afterAll(async () => {
    await f.close();
  });

  it('unions the principals of every role, sorted and unique, and takes the smallest TTL', async () => {
    const mail = email();
    const a = await role({ logins: ['deploy-a', 'shared-a'], maxTtl: '8h' });
    const b = await role({ logins: ['shared-a', 'app-b'], maxTtl: '1h' });
    await f.identity.grants.add({ user: mail, role: a, reason: 'on call' }, f.admin);
    await f.identity.grants.add({ user: mail, role: b, reason: 'on call' }, f.admin);
    const access = await resolveAccess(f.db, await f.login({ email: mail }), f.clock());
    expect(access.principals).toEqual(['app-b', 'deploy-a', 'shared-a']);
    expect(access.maxTtl).toBe(3600);
    expect(access.roles).toEqual([a, b].sort());
    expect(access.grantIds).toHaveLength(2);
  });

  it('maps permissions to certificate extensions, any role granting one is enough, and keeps file transfer out of extensions', async () => {
    const mail = email();
    const a = await role({ logins: ['ext-a'], permissions: { pty: true, fileTransfer: true } });
    const b = await role({ logins: ['ext-b'], permissions: { portForwarding: true, agentForwarding: true, x11: true } });
    await f.identity.grants.add({ user: mail, role: a, reason: 'x' }, f.admin);
    await f.identity.grants.add({ user: mail, role: b, reason: 'x' }, f.admin);
    const access = await resolveAccess(f.db, await f.login({ email: mail }), f.clock());
    expect(access.extensions).toEqual(['permit-X11-forwarding', 'permit-agent-forwarding', 'permit-port-forwarding', 'permit-pty']);
    expect(access.permissions).toEqual({ pty: true, portForwarding: true, agentForwarding: true, fileTransfer: true, x11: true });
  });

  it('gives no extension for a role that allows nothing', async () => {
    const mail = email();
    await f.identity.grants.add({ user: mail, role: await role({ logins: ['bare'] }), reason: 'x' }, f.admin);
    const access = await resolveAccess(f.db, await f.login({ email: mail }), f.clock());
    expect(access.extensions).toEqual([]);
    expect(access.permissions.pty).toBe(false);
  });

  it('matches a user grant by email in any case', async () => {
    const mail = email();
    await f.identity.grants.add({ user: mail.toUpperCase(), role: await role({ logins: ['casey'] }), reason: 'x' }, f.admin);
    const access = await resolveAccess(f.db, await f.login({ email: mail.replace('person', 'PERSON') }), f.clock());
    expect(access.principals).toEqual(['casey']);
  });

  it('ignores an expired grant and uses the ones still running', async () => {
    const mail = email();
    const short = await role({ logins: ['short-lived'] });
    const long = await role({ logins: ['long-lived'] });
    await f.identity.grants.add({ user: mail, role: short, expires: 60, reason: 'x' }, f.admin);
    await f.identity.grants.add({ user: mail, role: long, reason: 'x' }, f.admin);
    const user = await f.login({ email: mail });
    expect((await resolveAccess(f.db, user, f.clock())).principals).toEqual(['long-lived', 'short-lived']);
    const later = new Date(f.clock().getTime() + 61_000);
    expect((await resolveAccess(f.db, user, later)).principals).toEqual(['long-lived']);
  });

  it('refuses with ERR_NO_GRANTS, saying they expired, when every grant has expired', async () => {
    const mail = email();
    const r = await role({ logins: ['expiring'] });
    await f.identity.grants.add({ user: mail, role: r, expires: '1h', reason: 'x' }, f.admin);
    const user = await f.login({ email: mail });
    const e = await refusal(resolveAccess(f.db, user, new Date(f.clock().getTime() + 3601_000)));
    expect(e.code).toBe('ERR_NO_GRANTS');
    expect(e.status).toBe(403);
    expect(e.message).toMatch(/expired/);
    expect(e.message).toContain(`access grants add --user ${mail} --role ROLE`);
  });

  it('ignores a revoked grant and says so when it was the only one', async () => {
    const mail = email();
    const grant = await f.identity.grants.add({ user: mail, role: await role({ logins: ['revoked'] }), reason: 'x' }, f.admin);
    const user = await f.login({ email: mail });
    expect((await resolveAccess(f.db, user, f.clock())).principals).toEqual(['revoked']);
    await f.identity.grants.revoke(grant.id, f.admin);
    const e = await refusal(resolveAccess(f.db, user, f.clock()));
    expect(e.code).toBe('ERR_NO_GRANTS');
    expect(e.message).toMatch(/revoked/);
  });

  it('applies a group grant while the IdP sends the group, and stops when it no longer does', async () => {
    const mail = email();
    const group = `team-${n}`;
    await f.identity.grants.add({ group, role: await role({ logins: ['team-login'] }), reason: 'x' }, f.admin);
    const member = await f.login({ email: mail, groups: [group, 'other'] });
    expect((await resolveAccess(f.db, member, f.clock())).principals).toEqual(['team-login']);
    const former = await f.login({ email: mail, groups: ['other'] });
    expect(former.droppedGroups).toEqual([group]);
    const e = await refusal(resolveAccess(f.db, former, f.clock()));
    expect(e.code).toBe('ERR_NO_GRANTS');
    expect(e.message).toContain(`group(s) ${group}`);
    expect(e.message).toMatch(/no longer lists in your groups/);
  });

  it('refuses a person with no grants at all, telling them what to ask for', async () => {
    const mail = email();
    const e = await refusal(resolveAccess(f.db, await f.login({ email: mail }), f.clock()));
    expect(e.code).toBe('ERR_NO_GRANTS');
    expect(e.message).toBe(`you have no access grants yet; ask an admin: access grants add --user ${mail} --role ROLE`);
  });

  it('does not apply a grant by email when the IdP did not verify the email', async () => {
    const mail = email();
    await f.identity.grants.add({ user: mail, role: await role({ logins: ['unverified'] }), reason: 'x' }, f.admin);
    const e = await refusal(resolveAccess(f.db, await f.login({ email: mail, emailVerified: false }), f.clock()));
    expect(e.code).toBe('ERR_NO_GRANTS');
    expect(e.message).toMatch(/not mark that email as verified/);
  });

  it('refuses a locked user with ERR_USER_LOCKED even with active grants', async () => {
    const mail = email();
    await f.identity.grants.add({ user: mail, role: await role({ logins: ['lockme'] }), reason: 'x' }, f.admin);
    const user = await f.login({ email: mail });
    const locked = await lockUser(f, user.id, 'laptop stolen', f.admin);
    const e = await refusal(resolveAccess(f.db, locked, f.clock()));
    expect(e.code).toBe('ERR_USER_LOCKED');
    expect(e.status).toBe(403);
    expect(e.message).toMatch(/laptop stolen/);
  });

  it('resolves {{email.local}} and claims the login for the person, keeping it when their email changes', async () => {
    const r = await role({ logins: ['{{email.local}}'] });
    await f.identity.grants.add({ group: 'claimers', role: r, reason: 'x' }, f.admin);
    const first = await f.login({ email: 'Jöhn.Doe+x@example.com', subject: 'sub-john', groups: ['claimers'] });
    expect((await resolveAccess(f.db, first, f.clock())).principals).toEqual(['jhn.doex']);
    const renamed = await f.login({ email: 'john.doe@example.com', subject: 'sub-john', groups: ['claimers'] });
    expect(renamed.login).toBe('jhn.doex');
    expect((await resolveAccess(f.db, renamed, f.clock())).principals).toEqual(['jhn.doex']);
  });

  it('refuses a second person whose template resolves to a login already claimed (409, never merged)', async () => {
    const r = await role({ logins: ['{{email.local}}'] });
    await f.identity.grants.add({ group: 'twins', role: r, reason: 'x' }, f.admin);
    const one = await f.login({ email: 'sam@one.example', subject: 'sam-1', groups: ['twins'] });
    expect((await resolveAccess(f.db, one, f.clock())).principals).toEqual(['sam']);
    const two = await f.login({ email: 'Sam@two.example', subject: 'sam-2', groups: ['twins'] });
    const e = await refusal(resolveAccess(f.db, two, f.clock()));
    expect(e.code).toBe('ERR_LOGIN_TAKEN');
    expect(e.status).toBe(409);
    const stored = await f.db.selectFrom('users').select(['subject', 'login']).where('subject', 'in', ['sam-1', 'sam-2']).orderBy('subject').execute();
    expect(stored).toEqual([{ subject: 'sam-1', login: 'sam' }, { subject: 'sam-2', login: null }]);
  });

  it('refuses a template that resolves to a shared literal login of any role', async () => {
    await role({ logins: ['builder'] });
    await f.identity.grants.add({ user: 'builder@example.com', role: await role({ logins: ['{{email.local}}'] }), reason: 'x' }, f.admin);
    const e = await refusal(resolveAccess(f.db, await f.login({ email: 'builder@example.com' }), f.clock()));
    expect(e.code).toBe('ERR_LOGIN_TAKEN');
  });

  it('lets several people share a literal login without claiming it', async () => {
    const r = await role({ logins: ['ops-shared'] });
    await f.identity.grants.add({ group: 'ops', role: r, reason: 'x' }, f.admin);
    for (const mail of [email(), email()]) {
      const user = await f.login({ email: mail, groups: ['ops'] });
      expect((await resolveAccess(f.db, user, f.clock())).principals).toEqual(['ops-shared']);
    }
    expect(await f.db.selectFrom('users').select('login').where('login', '=', 'ops-shared').execute()).toEqual([]);
  });

  it('unions capabilities and allows a role with capabilities and no logins', async () => {
    const mail = email();
    await f.identity.grants.add({ user: mail, role: await role({ capabilities: ['audit'] }), reason: 'x' }, f.admin);
    await f.identity.grants.add({ user: mail, role: await role({ capabilities: ['admin', 'audit'] }), reason: 'x' }, f.admin);
    const access = await resolveAccess(f.db, await f.login({ email: mail }), f.clock());
    expect(access.capabilities).toEqual(['admin', 'audit']);
    expect(access.principals).toEqual([]);
  });
});
