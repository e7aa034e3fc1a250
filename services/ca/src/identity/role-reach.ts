import type { Db } from '@access/db';
import { notFound } from '../errors.ts';
import { toHost } from './hosts.ts';
import { selectorMatches } from './labels.ts';
import { checkRoleName, parseRoleInput, toRole, type RoleInput, type RoleSpec } from './role-input.ts';
import { refuseClaimedLogins } from './roles.ts';

/** One enrolled host a role's label selector matches. */
export interface RoleReach {
  /** The host's name, as `ssh NAME` takes it. */
  host: string;
  address: string;
  labels: Record<string, string>;
  /**
   * The role's logins there, sorted: literal logins are shared accounts, `{{email.local}}`
   * stands for each person's own login. Empty when the role selects the host but gives no
   * login, so nobody can sign in there through it (the built-in admin and auditor roles).
   */
  logins: string[];
}

async function savedRole(db: Db, name: string): Promise<RoleSpec> {
  const row = await db.selectFrom('roles').selectAll().where('name', '=', checkRoleName(name)).executeTakeFirst();
  if (!row) throw notFound('ERR_UNKNOWN_ROLE', `no role named "${name}"; list them with: access-server role ls`);
  return toRole(row);
}

/**
 * Which enrolled hosts a role reaches and with which logins, sorted by host name: for a saved
 * role (by name; 404 ERR_UNKNOWN_ROLE) or for a draft (a RoleInput), which is checked exactly
 * as creating it would be (400 ERR_BAD_ROLE / ERR_BAD_LABELS / ERR_LOGIN_TEMPLATE, 409
 * ERR_LOGIN_TAKEN) and neither stored nor audited. A draft may reuse a saved role's name, to
 * preview a change to it. A host's labels are matched as at the gateway (labels.ts).
 */
export async function previewRoleReach(db: Db, roleOrDraft: string | RoleInput): Promise<RoleReach[]> {
  let role: RoleSpec;
  if (typeof roleOrDraft === 'string') {
    role = await savedRole(db, roleOrDraft);
  } else {
    role = parseRoleInput(roleOrDraft);
    await refuseClaimedLogins(db, role);
  }
  const hosts = (await db.selectFrom('hosts').selectAll().orderBy('name').execute()).map(toHost);
  return hosts
    .filter((h) => selectorMatches(role.hostLabels, h.labels))
    .map((h) => ({ host: h.name, address: h.address, labels: h.labels, logins: [...role.logins] }));
}
