import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessError } from '../errors.ts';
import { createIdentityFixture, type IdentityFixture } from '../testing/identity-fixture.ts';
import { seedBuiltinRoles } from './bootstrap.ts';
import { lockUser, unlockUser, upsertUserFromClaims } from './users.ts';

const claims = (over: Record<string, unknown> = {}) => ({
  issuer: 'https://idp.example.com',
  subject: 'sub-1',
  email: 'Boss@Example.com',
  emailVerified: true,
  displayName: 'The Boss',
  groups: ['b', 'a', 'a'],
  ...over,
});

describe.each(testDatabaseKinds())('users, bootstrap and sign-in on %s', (kind) => {
  let f: IdentityFixture;
  beforeAll(async () => {
    f = await createIdentityFixture(kind, ['boss@example.com']);
  });
  afterAll(async () => {
    await f.close();
  });

  it('creates a user at the first login and updates email, name, groups and last login at the next', async () => {
    const first = await upsertUserFromClaims(f.db, claims({ subject: 'u-1', email: 'u1@example.com' }), f.clock());
    expect(first.id).toMatch(/^usr_[0-9a-f]{16}$/);
    expect(first).toMatchObject({ email: 'u1@example.com', emailVerified: true, displayName: 'The Boss', groups: ['a', 'b'], login: null, lockedAt: null, droppedGroups: [] });
    f.advance(60);
    const again = await upsertUserFromClaims(f.db, claims({ subject: 'u-1', email: 'u1-new@example.com', displayName: null, groups: ['c'] }), f.clock());
    expect(again.id).toBe(first.id);
    expect(again).toMatchObject({ email: 'u1-new@example.com', displayName: null, groups: ['c'], droppedGroups: ['a', 'b'] });
    expect(again.lastLoginAt).toEqual(f.clock());
    expect(again.createdAt).toEqual(first.createdAt);
  });

  it('keeps two identities apart when only the issuer differs', async () => {
    const a = await upsertUserFromClaims(f.db, claims({ subject: 'same', issuer: 'https://a.example' }), f.clock());
    const b = await upsertUserFromClaims(f.db, claims({ subject: 'same', issuer: 'https://b.example' }), f.clock());
    expect(a.id).not.toBe(b.id);
  });

  it.each([
    [{ email: 'nope' }, /not an email address/],
    [{ subject: '' }, /sub claim/],
    [{ groups: ['ok', 5] }, /groups claim/],
  ])('refuses bad claims %j with ERR_BAD_CLAIMS', async (over, message) => {
    const error = await upsertUserFromClaims(f.db, claims(over) as never, f.clock()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccessError);
    expect((error as AccessError).code).toBe('ERR_BAD_CLAIMS');
    expect((error as AccessError).message).toMatch(message);
  });

  it('seeds the admin and auditor roles once', async () => {
    expect(await seedBuiltinRoles(f)).toEqual(['admin', 'auditor']);
    expect(await seedBuiltinRoles(f)).toEqual([]);
    expect(await f.identity.roles.get('admin')).toMatchObject({ capabilities: ['admin', 'audit'], logins: [] });
    expect(await f.identity.roles.get('auditor')).toMatchObject({ capabilities: ['audit'], logins: [] });
  });

  it('grants a bootstrap admin the admin role at their first login, once, and audits the login', async () => {
    const first = await f.identity.signIn(claims({ subject: 'boss' }), { remote: '192.0.2.1' });
    expect(first.bootstrapGrant).toMatchObject({ subject: 'boss@example.com', role: 'admin', grantedBy: 'system:bootstrap', expiresAt: null });
    expect(first.access.capabilities).toEqual(['admin', 'audit']);
    const second = await f.identity.signIn(claims({ subject: 'boss' }), { remote: null });
    expect(second.bootstrapGrant).toBeNull();
    expect(await f.identity.grants.list({ user: 'boss@example.com' })).toHaveLength(1);
    const [login] = await f.audit.list({ type: 'user.login', limit: 1 });
    expect(login).toMatchObject({ code: 'US1000I', actor: { kind: 'user', id: first.user.id }, details: { roles: ['admin'], email: 'Boss@Example.com' } });
  });

  it('does not bootstrap an admin whose email the IdP did not verify', async () => {
    const error = await f.identity.signIn(claims({ subject: 'fake-boss', emailVerified: false }), { remote: null }).catch((e: unknown) => e);
    expect((error as AccessError).code).toBe('ERR_NO_GRANTS');
    expect(await f.identity.grants.list({ user: 'boss@example.com' })).toHaveLength(1);
  });

  it('audits a refused login as user.login.denied with the reason, and throws it', async () => {
    const error = await f.identity.signIn(claims({ subject: 'nobody', email: 'nobody@example.com' }), { remote: '192.0.2.9' }).catch((e: unknown) => e);
    expect((error as AccessError).code).toBe('ERR_NO_GRANTS');
    const [denied] = await f.audit.list({ type: 'user.login.denied', limit: 1 });
    expect(denied).toMatchObject({ code: 'US1001W', remote: '192.0.2.9', details: { code: 'ERR_NO_GRANTS', email: 'nobody@example.com' } });
  });

  it('locks and unlocks a user, auditing both, and refuses the locked user at sign-in', async () => {
    const { user } = await f.identity.signIn(claims({ subject: 'boss' }), { remote: null });
    await lockUser(f, user.id, 'left the company', f.admin);
    const error = await f.identity.signIn(claims({ subject: 'boss' }), { remote: null }).catch((e: unknown) => e);
    expect((error as AccessError).code).toBe('ERR_USER_LOCKED');
    const [locked] = await f.audit.list({ type: 'user.locked', limit: 1 });
    expect(locked?.details).toMatchObject({ userId: user.id, before: { lockedAt: null }, after: { lockReason: 'left the company' } });
    await unlockUser(f, user.id, f.admin);
    expect((await f.identity.signIn(claims({ subject: 'boss' }), { remote: null })).access.roles).toEqual(['admin']);
    expect((await f.audit.list({ type: 'user.unlocked', limit: 1 }))[0]?.code).toBe('US1003I');
  });

  it('keeps an intact audit chain through all of the above', async () => {
    expect((await f.audit.verify()).ok).toBe(true);
  });
});
