import type { Db, RoleCapability, RolePermissions } from '@access/db';
import { sql } from 'kysely';
import { conflict, forbidden } from '../errors.ts';
import { toGrant, type Grant } from './grants.ts';
import { isLoginTemplate, resolveLogin } from './login-template.ts';
import { noGrantsError, type GrantCandidate } from './no-grants.ts';
import { NO_PERMISSIONS, PERMISSION_NAMES, toRole, type Role } from './role-input.ts';
import type { User } from './users.ts';

/** What a person may do right now: the input to a certificate and to the gateway's checks. */
export interface Access {
  /** Sorted, unique: the logins of every active grant's role, templates resolved. */
  principals: string[];
  /** Seconds: the smallest cap over the roles, so no role's limit is exceeded. */
  maxTtl: number;
  /** OpenSSH certificate extensions, sorted: permit-pty, permit-port-forwarding, … */
  extensions: string[];
  /** A permission is granted when any role grants it. */
  permissions: RolePermissions;
  capabilities: RoleCapability[];
  roles: string[];
  /**
   * Sorted: exactly the grants this access was made from (active, and applying to this
   * person now). A login records them as used (grant-review.ts, recordGrantUse).
   */
  grantIds: string[];
}

/** File transfer has no certificate extension: the gateway enforces it from `permissions`. */
const EXTENSION_OF: Partial<Record<keyof RolePermissions, string>> = {
  pty: 'permit-pty',
  portForwarding: 'permit-port-forwarding',
  agentForwarding: 'permit-agent-forwarding',
  x11: 'permit-X11-forwarding',
};

/**
 * Resolves a person's access from their active grants: not revoked, not expired, and
 * naming either their email (case-insensitively, and only when the IdP verified it) or a
 * group in their current groups. Throws 403 ERR_USER_LOCKED, 403 ERR_NO_GRANTS (saying
 * why), or 409 ERR_LOGIN_TAKEN when their templated login belongs to someone else.
 *
 * The first time a role with `{{email.local}}` applies, the resolved login is claimed for
 * this person (users.login); from then on the template resolves to the claimed login, so a
 * changed email does not rename their account, and nobody else can ever take it.
 */
export async function resolveAccess(db: Db, user: User & { droppedGroups?: readonly string[] }, now: Date): Promise<Access> {
  if (user.lockedAt) {
    throw forbidden('ERR_USER_LOCKED', `your account was locked on ${user.lockedAt.toISOString()}${user.lockReason ? `: ${user.lockReason}` : ''}; ask an admin to unlock it`);
  }
  const groups = [...new Set([...user.groups, ...(user.droppedGroups ?? [])])];
  const rows = await db
    .selectFrom('grants')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb.and([eb('subject_kind', '=', 'user'), eb('subject', '=', user.email.toLowerCase())]),
        ...(groups.length > 0 ? [eb.and([eb('subject_kind', '=', 'group'), eb('subject', 'in', groups)])] : []),
      ]),
    )
    .orderBy('id')
    .execute();
  const candidates: GrantCandidate[] = rows.map(toGrant).map((grant) => ({ grant, active: isActive(grant, user, now) }));
  const active = candidates.filter((c) => c.active).map((c) => c.grant);
  if (active.length === 0) throw noGrantsError(user, candidates, now);

  const roleNames = [...new Set(active.map((g) => g.role))].sort();
  const roles = (await db.selectFrom('roles').selectAll().where('name', 'in', roleNames).orderBy('name').execute()).map(toRole);
  const principals = new Set<string>();
  for (const role of roles) {
    for (const template of role.logins) {
      principals.add(isLoginTemplate(template) ? await personalLogin(db, user, template) : template);
    }
  }

  const permissions = { ...NO_PERMISSIONS };
  for (const role of roles) for (const p of PERMISSION_NAMES) permissions[p] ||= role.permissions[p];
  return {
    principals: [...principals].sort(),
    maxTtl: Math.min(...roles.map((r) => r.maxTtl)),
    extensions: PERMISSION_NAMES.filter((p) => permissions[p] && EXTENSION_OF[p]).map((p) => EXTENSION_OF[p]!).sort(),
    permissions,
    capabilities: [...new Set(roles.flatMap((r: Role) => r.capabilities))].sort(),
    roles: roles.map((r) => r.name),
    grantIds: active.map((g) => g.id).sort(),
  };
}

function isActive(grant: Grant, user: User, now: Date): boolean {
  if (grant.revokedAt || (grant.expiresAt && grant.expiresAt <= now)) return false;
  // An unverified email claim could be anyone's: grants by email need the IdP to vouch for it.
  if (grant.subjectKind === 'user') return user.emailVerified && grant.subject === user.email.toLowerCase();
  return user.groups.includes(grant.subject);
}

/** The person's own login from a template: their claimed one, or a new claim. */
async function personalLogin(db: Db, user: User, template: string): Promise<string> {
  if (user.login) return user.login;
  if (!user.emailVerified) {
    throw forbidden('ERR_EMAIL_UNVERIFIED', `a role gives you a login made from your email, but your identity provider does not mark ${user.email} as verified; ask your IdP admin to verify it`);
  }
  const login = resolveLogin(template, user);
  const taken = () =>
    conflict('ERR_LOGIN_TAKEN', `the login "${login}" made from your email is already another person's or a shared account's; logins are never shared between people, so ask an admin for a role with a literal login`);
  // A literal login in any role is a shared account: a template may not turn it into a personal one.
  const shared = await db.selectFrom('roles').select('name').where(sql<boolean>`logins @> ${JSON.stringify([login])}::jsonb`).executeTakeFirst();
  if (shared) throw taken();
  try {
    const claimed = await db.updateTable('users').set({ login }).where('id', '=', user.id).where('login', 'is', null).returning('login').executeTakeFirst();
    if (claimed) return login;
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw taken();
    throw error;
  }
  // Someone claimed for this user concurrently (another login of theirs): use what is stored.
  const row = await db.selectFrom('users').select('login').where('id', '=', user.id).executeTakeFirstOrThrow();
  if (row.login) return row.login;
  throw taken();
}
