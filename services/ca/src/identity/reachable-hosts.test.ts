import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentityFixture, type IdentityFixture } from '../testing/identity-fixture.ts';
import { resolveAccess } from './access-resolver.ts';
import { reachableHosts } from './reachable-hosts.ts';

describe.each(testDatabaseKinds())('reachableHosts on %s', (kind) => {
  let f: IdentityFixture;
  beforeAll(async () => {
    f = await createIdentityFixture(kind);
    for (const [name, env] of [['web-1', 'dev'], ['db-1', 'prod']] as const) {
      await f.identity.hosts.create({ name, address: `${name}.internal:22`, labels: { env } }, f.admin);
    }
  });
  afterAll(async () => {
    await f.close();
  });

  const hostsOf = async (email: string, roles: Parameters<IdentityFixture['identity']['roles']['create']>[0][]) => {
    for (const role of roles) {
      await f.identity.roles.create(role, f.admin);
      await f.identity.grants.add({ user: email, role: role.name, reason: 'test' }, f.admin);
    }
    const user = await f.login({ email });
    const reachable = await reachableHosts(f.db, user.id, await resolveAccess(f.db, user, f.clock()));
    return reachable.map((r) => [r.host.name, r.logins]);
  };

  it('matches host labels against the selectors of the roles and resolves the personal login', async () => {
    expect(await hostsOf('bob@example.com', [{ name: 'dev', logins: ['{{email.local}}'], hostLabels: { env: ['dev'] }, maxTtl: '1h' }])).toEqual([['web-1', ['bob']]]);
  });

  it('reaches every host with the * selector and none with an empty one', async () => {
    expect(
      await hostsOf('ann@example.com', [
        { name: 'all', logins: ['deploy'], hostLabels: { '*': ['*'] }, maxTtl: '1h' },
        { name: 'nowhere', logins: ['nobody-login'], maxTtl: '1h' },
      ]),
    ).toEqual([['db-1', ['deploy']], ['web-1', ['deploy']]]);
  });

  it('leaves out a host a role selects without giving a login', async () => {
    expect(await hostsOf('cy@example.com', [{ name: 'look', hostLabels: { env: ['prod'] }, maxTtl: '1h' }])).toEqual([]);
  });
});
