import type { Db } from '@access/db';
import type { Access } from './access-resolver.ts';
import { toHost, type Host } from './hosts.ts';
import { selectorMatches } from './labels.ts';
import { isLoginTemplate } from './login-template.ts';
import { toRole } from './role-input.ts';

export interface ReachableHost {
  host: Host;
  /** Sorted, unique: the logins of every role whose labels select this host, templates resolved. */
  logins: string[];
}

/**
 * The hosts a person can sign in to with the access `resolveAccess` gave them: every host
 * whose labels match the selector of one of their roles, with that role's logins. A host a
 * role selects but gives no login for is left out: there is nothing to sign in as.
 *
 * Templates resolve to the login `resolveAccess` claimed for the person (users.login), so
 * call this only after it succeeded. Hosts are matched in memory: selectors allow several
 * values and `*`, and a host list is small next to everything else the CA stores.
 */
export async function reachableHosts(db: Db, userId: string, access: Access): Promise<ReachableHost[]> {
  if (access.roles.length === 0) return [];
  const roles = (await db.selectFrom('roles').selectAll().where('name', 'in', access.roles).execute()).map(toRole);
  const needsLogin = roles.some((r) => r.logins.some(isLoginTemplate));
  const claimed = needsLogin ? (await db.selectFrom('users').select('login').where('id', '=', userId).executeTakeFirst())?.login : null;
  const loginsOf = (logins: readonly string[]) =>
    logins.flatMap((l) => (!isLoginTemplate(l) ? [l] : claimed ? [claimed] : []));

  const hosts = (await db.selectFrom('hosts').selectAll().orderBy('name').execute()).map(toHost);
  const reachable: ReachableHost[] = [];
  for (const host of hosts) {
    const logins = new Set(roles.filter((r) => selectorMatches(r.hostLabels, host.labels)).flatMap((r) => loginsOf(r.logins)));
    if (logins.size > 0) reachable.push({ host, logins: [...logins].sort() });
  }
  return reachable;
}
