import { randomBytes } from 'node:crypto';
import type { AuditActor, AuditLog } from '@access/audit';
import { LOCKS_CHANNEL, notify, type Db, type LockNotice, type UserRow } from '@access/db';
import { badRequest, notFound } from '../errors.ts';

/** A person as the identity provider last described them. */
export interface User {
  id: string;
  issuer: string;
  subject: string;
  email: string;
  emailVerified: boolean;
  displayName: string | null;
  /** The groups the IdP sent at the last login: group grants follow these, not history. */
  groups: string[];
  /** The login claimed from a template (`{{email.local}}`), once claimed. */
  login: string | null;
  createdAt: Date;
  lastLoginAt: Date | null;
  lockedAt: Date | null;
  lockReason: string | null;
}

/** A user right after a login: `droppedGroups` are groups the IdP sent last time and not now. */
export interface SignedInUser extends User {
  droppedGroups: string[];
}

/** The claims a login carries, once the OIDC layer has checked the token. */
export interface IdentityClaims {
  issuer: string;
  subject: string;
  email: string;
  emailVerified: boolean;
  displayName?: string | null | undefined;
  groups?: readonly string[] | undefined;
}

const MAX_GROUPS = 1000;
// eslint-disable-next-line no-control-regex -- control characters are what is refused here
const CONTROL = /[\u0000-\u001f\u007f]/;

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    issuer: row.issuer,
    subject: row.subject,
    email: row.email,
    emailVerified: row.email_verified,
    displayName: row.display_name,
    groups: row.groups,
    login: row.login,
    createdAt: row.created_at,
    lastLoginAt: row.last_login_at,
    lockedAt: row.locked_at,
    lockReason: row.lock_reason,
  };
}

function text(value: unknown, name: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0) throw badRequest('ERR_BAD_CLAIMS', `the ${name} claim must be a non-empty string`);
  if (value.length > max || CONTROL.test(value)) throw badRequest('ERR_BAD_CLAIMS', `the ${name} claim is longer than ${max} characters or holds control characters`);
  return value;
}

/** Checks claims at the boundary and brings them to the stored form (groups unique and sorted). */
export function normalizeClaims(claims: IdentityClaims): Required<IdentityClaims> & { groups: string[] } {
  const email = text(claims.email, 'email', 254);
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw badRequest('ERR_BAD_CLAIMS', `the email claim "${email}" is not an email address`);
  const groups = claims.groups ?? [];
  if (!Array.isArray(groups) || groups.length > MAX_GROUPS) throw badRequest('ERR_BAD_CLAIMS', `the groups claim must be a list of at most ${MAX_GROUPS} names`);
  return {
    issuer: text(claims.issuer, 'iss', 2048),
    subject: text(claims.subject, 'sub', 255),
    email,
    emailVerified: claims.emailVerified === true,
    displayName: claims.displayName == null || claims.displayName === '' ? null : text(claims.displayName, 'name', 256),
    groups: [...new Set(groups.map((g) => text(g, 'groups', 255)))].sort(),
  };
}

/**
 * Creates the user on their first login, or updates email, name, groups and last_login_at
 * on every later one. A user is (issuer, subject): the email may change, the person does not.
 */
export async function upsertUserFromClaims(db: Db, claims: IdentityClaims, now: Date): Promise<SignedInUser> {
  const c = normalizeClaims(claims);
  const before = await db.selectFrom('users').select('groups').where('issuer', '=', c.issuer).where('subject', '=', c.subject).executeTakeFirst();
  const fields = { email: c.email, email_verified: c.emailVerified, display_name: c.displayName, groups: JSON.stringify(c.groups), last_login_at: now };
  const row = await db
    .insertInto('users')
    .values({ id: `usr_${randomBytes(8).toString('hex')}`, issuer: c.issuer, subject: c.subject, created_at: now, ...fields })
    .onConflict((oc) => oc.columns(['issuer', 'subject']).doUpdateSet(fields))
    .returningAll()
    .executeTakeFirstOrThrow();
  const droppedGroups = (before?.groups ?? []).filter((g) => !c.groups.includes(g));
  return { ...toUser(row), droppedGroups };
}

export async function getUser(db: Db, id: string): Promise<User> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('ERR_UNKNOWN_USER', `no user with id ${id}`);
  return toUser(row);
}

/** Users whose email is this one, in any case; usually one. */
export async function findUsersByEmail(db: Db, email: string): Promise<User[]> {
  const rows = await db.selectFrom('users').selectAll().where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase())).orderBy('created_at').execute();
  return rows.map(toUser);
}

export async function listUsers(db: Db): Promise<User[]> {
  return (await db.selectFrom('users').selectAll().orderBy('email').orderBy('id').execute()).map(toUser);
}

/** Locks a user: no new certificates or sessions (gateways end live ones). Audited as user.locked. */
export async function lockUser(deps: { db: Db; audit: AuditLog; clock: () => Date }, id: string, reason: string, actor: AuditActor): Promise<User> {
  const why = text(reason, 'lock reason', 500);
  return setLock(deps, id, actor, { locked_at: deps.clock(), lock_reason: why }, 'user.locked');
}

export async function unlockUser(deps: { db: Db; audit: AuditLog; clock: () => Date }, id: string, actor: AuditActor): Promise<User> {
  return setLock(deps, id, actor, { locked_at: null, lock_reason: null }, 'user.unlocked');
}

async function setLock(
  deps: { db: Db; audit: AuditLog },
  id: string,
  actor: AuditActor,
  change: { locked_at: Date | null; lock_reason: string | null },
  type: 'user.locked' | 'user.unlocked',
): Promise<User> {
  return deps.db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('users').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!before) throw notFound('ERR_UNKNOWN_USER', `no user with id ${id}`);
    const after = await trx.updateTable('users').set(change).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    const view = (r: UserRow) => ({ lockedAt: r.locked_at?.toISOString() ?? null, lockReason: r.lock_reason });
    await deps.audit.append({ type, actor, details: { userId: id, email: after.email, before: view(before), after: view(after) } }, trx);
    // In the same transaction: gateways hear of the lock only once it holds, and always then.
    const notice: LockNotice = { userId: id, email: after.email, locked: after.locked_at !== null, reason: after.lock_reason };
    await notify(trx, LOCKS_CHANNEL, JSON.stringify(notice));
    return toUser(after);
  });
}
