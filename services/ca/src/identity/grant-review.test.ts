import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusal } from '../testing/refusal.ts';
import { createIdentityFixture, type IdentityFixture } from '../testing/identity-fixture.ts';
import { recordGrantUse, reviewGrants } from './grant-review.ts';

const DAY = 86_400;
const day = (start: Date, days: number) => new Date(start.getTime() + days * DAY * 1000);

describe.each(testDatabaseKinds())('reviewGrants on %s', (kind) => {
  let f: IdentityFixture;
  let t0: Date;
  /** The review runs 40 days after the first grants were made. */
  let review: Date;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    f = await createIdentityFixture(kind);
    t0 = f.clock();
    review = day(t0, 40);
    await f.identity.roles.create({ name: 'dev', logins: ['dev'], maxTtl: '8h' }, f.admin);
    const add = async (name: string, expires?: string) => {
      ids[name] = (await f.identity.grants.add({ user: `${name}@example.com`, role: 'dev', reason: 'review test', expires }, f.admin)).id;
    };
    await add('ends-in-1d', '41d');
    await add('ends-in-3d', '43d');
    await add('ends-in-10d', '50d');
    await add('never-used');
    await add('used-yesterday');
    await add('used-31d-ago');
    await add('used-exactly-30d-ago');
    await add('revoked');
    await add('revoked-ends-in-2d', '42d');
    await add('expired', '20d');
    await f.identity.grants.revoke(ids['revoked']!, f.admin);
    await f.identity.grants.revoke(ids['revoked-ends-in-2d']!, f.admin);
    f.advance(20 * DAY);
    await add('young');
    // The ones that end soon were used, so that they show only there.
    await recordGrantUse(f.db, [ids['ends-in-1d']!, ids['ends-in-3d']!, ids['ends-in-10d']!, ids['used-yesterday']!], day(t0, 39));
    await recordGrantUse(f.db, [ids['used-31d-ago']!], day(t0, 9));
    await recordGrantUse(f.db, [ids['used-exactly-30d-ago']!], day(t0, 10));
  });
  afterAll(async () => {
    await f.close();
  });

  const names = (grants: { id: string }[]) => grants.map((g) => Object.keys(ids).find((name) => ids[name] === g.id));

  it('lists active grants ending within 7 days, soonest first, and never a revoked or expired one', async () => {
    const { expiringSoon } = await reviewGrants(f.db, review);
    expect(names(expiringSoon)).toEqual(['ends-in-1d', 'ends-in-3d']);
  });

  it('lists active grants older than 30 days not used within them, never used first', async () => {
    const { unused } = await reviewGrants(f.db, review);
    expect(names(unused)).toEqual(['never-used', 'used-31d-ago']);
    expect(unused.map((g) => g.lastUsedAt)).toEqual([null, day(t0, 9)]);
  });

  it('takes other windows', async () => {
    const review10 = await reviewGrants(f.db, review, { expiringWithinDays: 10, unusedDays: 20 });
    expect(names(review10.expiringSoon)).toEqual(['ends-in-1d', 'ends-in-3d', 'ends-in-10d']);
    expect(names(review10.unused)).toEqual(['never-used', 'used-31d-ago', 'used-exactly-30d-ago']);
    expect(await reviewGrants(f.db, review, { unusedDays: 41 })).toMatchObject({ unused: [] });
  });

  it('never moves a grant’s last use back in time', async () => {
    await recordGrantUse(f.db, [ids['used-yesterday']!], day(t0, 5));
    const [grant] = await f.identity.grants.list({ user: 'used-yesterday@example.com' });
    expect(grant!.lastUsedAt).toEqual(day(t0, 39));
    await recordGrantUse(f.db, [], review);
  });

  it.each([0, -1, 1.5, 3651, Number.NaN])('refuses a window of %s days with 400 ERR_BAD_REVIEW', async (days) => {
    for (const options of [{ expiringWithinDays: days }, { unusedDays: days }]) {
      const error = await refusal(reviewGrants(f.db, review, options));
      expect([error.status, error.code]).toEqual([400, 'ERR_BAD_REVIEW']);
    }
  });
});
