import type { Db } from '@access/db';
import { badRequest } from '../errors.ts';
import { toGrant, type Grant } from './grants.ts';

/**
 * Access review: which grants end soon and which nobody uses. A grant is *used* when it
 * contributed to an `access login` (resolveAccess listed it in `grantIds`): the login
 * records that in `grants.last_used_at`.
 */

export interface GrantReviewOptions {
  /** Active grants that expire within this many days from now are listed; 1-3650, default 7. */
  expiringWithinDays?: number | undefined;
  /** Active grants older than this many days and not used within them are listed; 1-3650, default 30. */
  unusedDays?: number | undefined;
}

export interface GrantReview {
  /** Active grants whose expiry is after now and at most `expiringWithinDays` away, soonest first. */
  expiringSoon: Grant[];
  /**
   * Active grants created more than `unusedDays` ago and not used within the last
   * `unusedDays` (never used counts), the longest unused first. Revoked and expired grants
   * are in neither list: they give nothing, so there is nothing to review.
   */
  unused: Grant[];
}

const DAY_MS = 86_400_000;
const MAX_DAYS = 3650;

function days(value: number | undefined, fallback: number, name: string): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > MAX_DAYS) {
    throw badRequest('ERR_BAD_REVIEW', `${name} must be a whole number of days from 1 to ${MAX_DAYS}, got ${String(value).slice(0, 40)}`);
  }
  return n;
}

/** Lists the grants an access review looks at; `now` is the review's clock. Throws 400 ERR_BAD_REVIEW for bad options. */
export async function reviewGrants(db: Db, now: Date, options: GrantReviewOptions = {}): Promise<GrantReview> {
  const expiringWithin = days(options.expiringWithinDays, 7, 'expiringWithinDays');
  const unusedFor = days(options.unusedDays, 30, 'unusedDays');
  const horizon = new Date(now.getTime() + expiringWithin * DAY_MS);
  const cutoff = new Date(now.getTime() - unusedFor * DAY_MS);
  const active = db
    .selectFrom('grants')
    .selectAll()
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));

  const [expiring, unused] = await Promise.all([
    active.where('expires_at', '<=', horizon).orderBy('expires_at').orderBy('id').execute(),
    active
      .where('created_at', '<', cutoff)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', cutoff)]))
      .orderBy('last_used_at', (ob) => ob.asc().nullsFirst())
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
  ]);
  return { expiringSoon: expiring.map(toGrant), unused: unused.map(toGrant) };
}

/**
 * Records that these grants contributed to a login at `now`: one UPDATE. A later time never
 * goes back (two logins at once, or CA instances whose clocks differ slightly).
 */
export async function recordGrantUse(db: Db, grantIds: readonly string[], now: Date): Promise<void> {
  if (grantIds.length === 0) return;
  await db
    .updateTable('grants')
    .set({ last_used_at: now })
    .where('id', 'in', [...grantIds])
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', now)]))
    .execute();
}
