import type { AuditActor, AuditLog } from '@access/audit';
import type { Database, Db } from '@access/db';
import type { Transaction } from 'kysely';
import { conflict, notFound } from '../errors.ts';
import { isLoginTemplate } from './login-template.ts';
import { applyRoleChange, checkRoleName, parseRoleInput, roleView, toRole, type Role, type RoleChange, type RoleInput, type RoleSpec } from './role-input.ts';

export type { Role, RoleChange, RoleInput } from './role-input.ts';

export interface Roles {
  create(input: RoleInput, actor: AuditActor): Promise<Role>;
  update(name: string, change: RoleChange, actor: AuditActor): Promise<Role>;
  /** Refused while grants that are not revoked use the role; revoked grants of the role go with it. */
  delete(name: string, actor: AuditActor): Promise<void>;
  get(name: string): Promise<Role>;
  list(): Promise<Role[]>;
}

export interface IdentityDeps {
  db: Db;
  audit: AuditLog;
  clock: () => Date;
}

const columns = (r: RoleSpec) => ({
  description: r.description,
  logins: JSON.stringify(r.logins),
  host_labels: JSON.stringify(r.hostLabels),
  max_ttl: r.maxTtl,
  permissions: JSON.stringify(r.permissions),
  capabilities: JSON.stringify(r.capabilities),
});

/**
 * A literal login names a shared account (`deploy`); a person's claimed login names one
 * person. A role may not hand out someone's personal login as a shared one: 409
 * ERR_LOGIN_TAKEN. Creating, changing and previewing (role-reach.ts) a role all check it.
 */
export async function refuseClaimedLogins(db: Db, role: RoleSpec): Promise<void> {
  const literals = role.logins.filter((l) => !isLoginTemplate(l));
  if (literals.length === 0) return;
  const claimed = await db.selectFrom('users').select('login').where('login', 'in', literals).execute();
  if (claimed.length > 0) {
    const names = claimed.map((c) => c.login).join(', ');
    throw conflict('ERR_LOGIN_TAKEN', `the login(s) ${names} are personal logins claimed by a user through {{email.local}}; a role cannot hand them out as shared logins`);
  }
}

export function createRoles(deps: IdentityDeps): Roles {
  const { db, audit, clock } = deps;

  const load = async (trx: Transaction<Database>, name: string) => {
    const row = await trx.selectFrom('roles').selectAll().where('name', '=', checkRoleName(name)).forUpdate().executeTakeFirst();
    if (!row) throw notFound('ERR_UNKNOWN_ROLE', `no role named "${name}"; list them with: access-server role ls`);
    return toRole(row);
  };

  return {
    async create(input, actor) {
      const spec = parseRoleInput(input);
      const now = clock();
      return db.transaction().execute(async (trx) => {
        await refuseClaimedLogins(trx, spec);
        const row = await trx
          .insertInto('roles')
          .values({ name: spec.name, ...columns(spec), created_at: now, updated_at: now })
          .onConflict((oc) => oc.column('name').doNothing())
          .returningAll()
          .executeTakeFirst();
        if (!row) throw conflict('ERR_ROLE_EXISTS', `a role named "${spec.name}" already exists; change it with update`);
        await audit.append({ type: 'role.created', actor, details: { role: spec.name, before: null, after: roleView(spec) } }, trx);
        return toRole(row);
      });
    },

    async update(name, change, actor) {
      return db.transaction().execute(async (trx) => {
        const before = await load(trx, name);
        const after = applyRoleChange(before, change);
        await refuseClaimedLogins(trx, after);
        const row = await trx.updateTable('roles').set({ ...columns(after), updated_at: clock() }).where('name', '=', before.name).returningAll().executeTakeFirstOrThrow();
        await audit.append({ type: 'role.updated', actor, details: { role: before.name, before: roleView(before), after: roleView(after) } }, trx);
        return toRole(row);
      });
    },

    async delete(name, actor) {
      await db.transaction().execute(async (trx) => {
        const before = await load(trx, name);
        const live = await trx.selectFrom('grants').select('id').where('role', '=', before.name).where('revoked_at', 'is', null).orderBy('id').execute();
        if (live.length > 0) {
          const ids = live.slice(0, 5).map((g) => g.id).join(', ');
          throw conflict('ERR_ROLE_IN_USE', `role "${before.name}" still has ${live.length} grant(s) that are not revoked (${ids}${live.length > 5 ? ', …' : ''}); revoke them first`);
        }
        // Revoked grants only point at the role for history; their creation and revocation stay in the audit log.
        const removed = await trx.deleteFrom('grants').where('role', '=', before.name).returning('id').execute();
        await trx.deleteFrom('roles').where('name', '=', before.name).execute();
        await audit.append(
          { type: 'role.deleted', actor, details: { role: before.name, before: roleView(before), after: null, removedRevokedGrants: removed.map((g) => g.id) } },
          trx,
        );
      });
    },

    async get(name) {
      const row = await db.selectFrom('roles').selectAll().where('name', '=', name).executeTakeFirst();
      if (!row) throw notFound('ERR_UNKNOWN_ROLE', `no role named "${name}"; list them with: access-server role ls`);
      return toRole(row);
    },

    async list() {
      return (await db.selectFrom('roles').selectAll().orderBy('name').execute()).map(toRole);
    },
  };
}
