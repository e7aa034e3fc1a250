import type { AuditActor } from '@access/audit';
import { createGrants, type Grant } from './grants.ts';
import { createRoles, type IdentityDeps } from './roles.ts';
import type { RoleInput } from './role-input.ts';
import type { User } from './users.ts';

export const BOOTSTRAP_ACTOR: AuditActor = { kind: 'system', id: 'bootstrap' };

/** Roles every installation has. They reach no host: they open the admin and auditor API and UI. */
export const BUILTIN_ROLES: readonly RoleInput[] = [
  { name: 'admin', description: 'manage users, roles, grants and hosts; read the audit log', maxTtl: '12h', capabilities: ['admin', 'audit'] },
  { name: 'auditor', description: 'search, replay and export sessions and the audit log', maxTtl: '12h', capabilities: ['audit'] },
];

/** Creates the built-in roles that do not exist; one that an admin changed is left as it is. Returns the names created. */
export async function seedBuiltinRoles(deps: IdentityDeps): Promise<string[]> {
  const roles = createRoles(deps);
  const existing = new Set((await roles.list()).map((r) => r.name));
  const created: string[] = [];
  for (const role of BUILTIN_ROLES) {
    if (existing.has(role.name)) continue;
    try {
      await roles.create(role, BOOTSTRAP_ACTOR);
      created.push(role.name);
    } catch (error) {
      // Another CA instance seeded it a moment ago.
      if ((error as { code?: string }).code !== 'ERR_ROLE_EXISTS') throw error;
    }
  }
  return created;
}

/**
 * At the login of a person listed in ACCESS_BOOTSTRAP_ADMINS (verified email only), grants
 * the `admin` role, without expiry, if they have no admin grant yet: how the first admin
 * gets in. Returns the new grant, or null when none was needed.
 */
export async function ensureBootstrapGrant(deps: IdentityDeps, user: User, bootstrapAdmins: readonly string[]): Promise<Grant | null> {
  const email = user.email.toLowerCase();
  if (!user.emailVerified || !bootstrapAdmins.includes(email)) return null;
  const grants = createGrants(deps);
  const existing = await grants.list({ user: email, role: 'admin', activeOnly: true });
  if (existing.length > 0) return null;
  await seedBuiltinRoles(deps);
  return grants.add({ user: email, role: 'admin', reason: 'ACCESS_BOOTSTRAP_ADMINS lists this email' }, BOOTSTRAP_ACTOR);
}
