import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusal } from '../testing/refusal.ts';
import { createIdentityFixture, type IdentityFixture } from '../testing/identity-fixture.ts';

describe.each(testDatabaseKinds())('grants on %s', (kind) => {
  let f: IdentityFixture;
  beforeAll(async () => {
    f = await createIdentityFixture(kind);
    await f.identity.roles.create({ name: 'dev', logins: ['dev'], maxTtl: '8h' }, f.admin);
    await f.identity.roles.create({ name: 'ops', logins: ['ops'], maxTtl: '1h' }, f.admin);
  });
  afterAll(async () => {
    await f.close();
  });

  it('adds a user grant with the email lowercased, an expiry from now, and who granted it, audited', async () => {
    const grant = await f.identity.grants.add({ user: 'Alice@Example.com', role: 'dev', expires: '30d', reason: ' ticket OPS-1 ' }, f.admin);
    expect(grant).toMatchObject({ subjectKind: 'user', subject: 'alice@example.com', role: 'dev', reason: 'ticket OPS-1', grantedBy: 'user:usr_admin', revokedAt: null });
    expect(grant.id).toMatch(/^grt_[0-9a-f]{16}$/);
    expect(grant.expiresAt?.getTime()).toBe(f.clock().getTime() + 30 * 86_400_000);
    const [event] = await f.audit.list({ type: 'grant.created', limit: 1 });
    expect(event?.code).toBe('RB2000I');
    expect(event?.details).toMatchObject({ grantId: grant.id, before: null, after: { subject: 'alice@example.com', role: 'dev' } });
  });

  it.each([
    [{ role: 'dev', reason: 'x' }, /exactly one of a user/],
    [{ user: 'a@example.com', group: 'g', role: 'dev', reason: 'x' }, /exactly one of a user/],
    [{ user: 'not-an-email', role: 'dev', reason: 'x' }, /not an email address/],
    [{ group: 'g', role: 'dev', reason: '  ' }, /needs a reason/],
    [{ group: 'g', role: 'dev', reason: 'x', expires: '0s' }, /longer than zero/],
    [{ group: 'g\n', role: 'dev', reason: 'x' }, /control characters/],
  ])('refuses an invalid grant %j with 400 and a message that says why', async (input, message) => {
    const e = await refusal(f.identity.grants.add(input as never, f.admin));
    expect(e.status).toBe(400);
    expect(e.message).toMatch(message);
  });

  it('refuses a grant of a role that does not exist with 404', async () => {
    const e = await refusal(f.identity.grants.add({ group: 'g', role: 'nope', reason: 'x' }, f.admin));
    expect(e.code).toBe('ERR_UNKNOWN_ROLE');
    expect(e.status).toBe(404);
  });

  it('revokes a grant once, recording who and when, audited with before and after', async () => {
    const grant = await f.identity.grants.add({ group: 'sre', role: 'ops', reason: 'x' }, f.admin);
    const revoked = await f.identity.grants.revoke(grant.id, { kind: 'cli', id: 'root' });
    expect(revoked.revokedAt).toEqual(f.clock());
    expect(revoked.revokedBy).toBe('cli:root');
    const [event] = await f.audit.list({ type: 'grant.revoked', limit: 1 });
    expect(event?.code).toBe('RB2001I');
    expect(event?.details).toMatchObject({ grantId: grant.id, before: { revokedAt: null }, after: { revokedBy: 'cli:root' } });
    expect((await refusal(f.identity.grants.revoke(grant.id, f.admin))).code).toBe('ERR_GRANT_REVOKED');
    expect((await refusal(f.identity.grants.revoke('grt_0000', f.admin))).code).toBe('ERR_UNKNOWN_GRANT');
  });

  it('lists grants by user (any case), group, role, and only active ones', async () => {
    const expiring = await f.identity.grants.add({ user: 'bob@example.com', role: 'ops', expires: 60, reason: 'x' }, f.admin);
    const lasting = await f.identity.grants.add({ user: 'bob@example.com', role: 'dev', reason: 'x' }, f.admin);
    expect((await f.identity.grants.list({ user: 'BOB@example.com' })).map((g) => g.id).sort()).toEqual([expiring.id, lasting.id].sort());
    expect((await f.identity.grants.list({ user: 'bob@example.com', role: 'dev' })).map((g) => g.id)).toEqual([lasting.id]);
    expect((await f.identity.grants.list({ group: 'sre' })).map((g) => g.subject)).toEqual(['sre']);
    f.advance(61);
    expect((await f.identity.grants.list({ user: 'bob@example.com', activeOnly: true })).map((g) => g.id)).toEqual([lasting.id]);
    expect((await f.identity.grants.list({ group: 'sre', activeOnly: true }))).toEqual([]);
  });
});
