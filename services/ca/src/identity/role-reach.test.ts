import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusal } from '../testing/refusal.ts';
import { createIdentityFixture, type IdentityFixture } from '../testing/identity-fixture.ts';
import { resolveAccess } from './access-resolver.ts';
import { reachableHosts } from './reachable-hosts.ts';
import { previewRoleReach } from './role-reach.ts';
import type { RoleInput } from './role-input.ts';

describe.each(testDatabaseKinds())('previewRoleReach on %s', (kind) => {
  let f: IdentityFixture;
  beforeAll(async () => {
    f = await createIdentityFixture(kind);
    const hosts: [string, Record<string, string>][] = [
      ['web-1', { env: 'dev', team: 'web' }],
      ['api-1', { env: 'dev', team: 'api' }],
      ['db-1', { env: 'prod', team: 'api' }],
      ['bare', {}],
    ];
    for (const [name, labels] of hosts) await f.identity.hosts.create({ name, address: `${name}.internal:22`, labels }, f.admin);
  });
  afterAll(async () => {
    await f.close();
  });

  const draft: RoleInput = { name: 'dev-team', logins: ['{{email.local}}', 'deploy'], hostLabels: { env: ['dev'], team: ['*'] }, maxTtl: '8h' };

  it('lists the hosts a draft selects, with its logins, and stores and audits nothing', async () => {
    const head = (await f.audit.list({ limit: 1 }))[0]?.seq;
    expect(await previewRoleReach(f.db, draft)).toEqual([
      { host: 'api-1', address: 'api-1.internal:22', labels: { env: 'dev', team: 'api' }, logins: ['deploy', '{{email.local}}'] },
      { host: 'web-1', address: 'web-1.internal:22', labels: { env: 'dev', team: 'web' }, logins: ['deploy', '{{email.local}}'] },
    ]);
    expect((await f.identity.roles.list()).map((r) => r.name)).not.toContain('dev-team');
    expect((await f.audit.list({ limit: 1 }))[0]?.seq).toBe(head);
  });

  it('previews exactly what the role reaches once saved, and what a person holding it can reach', async () => {
    const preview = await previewRoleReach(f.db, draft);
    await f.identity.roles.create(draft, f.admin);
    expect(await previewRoleReach(f.db, 'dev-team')).toEqual(preview);

    await f.identity.grants.add({ user: 'ann@example.com', role: 'dev-team', reason: 'test' }, f.admin);
    const ann = await f.login({ email: 'ann@example.com' });
    const reached = await reachableHosts(f.db, ann.id, await resolveAccess(f.db, ann, f.clock()));
    expect(reached.map((r) => [r.host.name, r.logins])).toEqual(preview.map((p) => [p.host, ['ann', 'deploy']]));
  });

  it('reaches every host with *, none with an empty selector, and lists matched hosts of a role without logins', async () => {
    expect((await previewRoleReach(f.db, { name: 'all', hostLabels: { '*': ['*'] }, maxTtl: '1h' })).map((r) => [r.host, r.logins])).toEqual([
      ['api-1', []],
      ['bare', []],
      ['db-1', []],
      ['web-1', []],
    ]);
    expect(await previewRoleReach(f.db, { name: 'nowhere', logins: ['deploy'], maxTtl: '1h' })).toEqual([]);
  });

  it.each([
    [{ ...draft, hostLabels: { env: 'dev' } }, 400, 'ERR_BAD_LABELS'],
    [{ ...draft, logins: ['{{email}}'] }, 400, 'ERR_LOGIN_TEMPLATE'],
    [{ ...draft, name: 'Bad Name' }, 400, 'ERR_BAD_ROLE'],
    [{ ...draft, maxTtl: '400d' }, 400, 'ERR_BAD_ROLE'],
    [{ ...draft, capabilities: ['root'] }, 400, 'ERR_BAD_ROLE'],
  ])('refuses a draft as creating it would: %j', async (input, status, code) => {
    const previewed = await refusal(previewRoleReach(f.db, input as RoleInput));
    const created = await refusal(f.identity.roles.create(input as RoleInput, f.admin));
    expect([previewed.status, previewed.code, previewed.message]).toEqual([status, code, created.message]);
  });

  it('refuses a draft that hands out a person’s claimed login, and an unknown role name', async () => {
    expect((await refusal(previewRoleReach(f.db, { name: 'steal', logins: ['ann'], hostLabels: { env: ['dev'] }, maxTtl: '1h' }))).code).toBe('ERR_LOGIN_TAKEN');
    const unknown = await refusal(previewRoleReach(f.db, 'no-such-role'));
    expect([unknown.status, unknown.code]).toEqual([404, 'ERR_UNKNOWN_ROLE']);
  });
});
