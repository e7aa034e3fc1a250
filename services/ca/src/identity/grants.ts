import { randomBytes } from 'node:crypto';
import type { AuditActor } from '@access/audit';
import type { GrantRow, GrantSubjectKind } from '@access/db';
import { parseDuration } from '../duration.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import { checkRoleName } from './role-input.ts';
import type { IdentityDeps } from './roles.ts';

export interface Grant {
  id: string;
  subjectKind: GrantSubjectKind;
  /** A lowercased email for a user grant, an IdP group name for a group grant. */
  subject: string;
  role: string;
  expiresAt: Date | null;
  reason: string;
  grantedBy: string;
  createdAt: Date;
  revokedAt: Date | null;
  revokedBy: string | null;
  /** The last `access login` this grant contributed to (see grant-review.ts); null: never used. */
  lastUsedAt: Date | null;
}

export interface GrantInput {
  /** The person's email; exactly one of user and group. */
  user?: string | undefined;
  /** An IdP group name, as the groups claim spells it. */
  group?: string | undefined;
  role: string;
  /** Seconds from now, or a duration such as `30d`; without it the grant does not expire. */
  expires?: number | string | undefined;
  reason: string;
}

export interface GrantFilter {
  user?: string | undefined;
  group?: string | undefined;
  role?: string | undefined;
  /** Only grants that are neither revoked nor expired. */
  activeOnly?: boolean | undefined;
}

export interface Grants {
  add(input: GrantInput, actor: AuditActor): Promise<Grant>;
  revoke(id: string, actor: AuditActor): Promise<Grant>;
  list(filter?: GrantFilter): Promise<Grant[]>;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
// eslint-disable-next-line no-control-regex -- control characters are what is refused here
const GROUP = /^[^\u0000-\u001f\u007f]{1,255}$/;

export const actorName = (actor: AuditActor): string => `${actor.kind}:${actor.id}`;

export function toGrant(row: GrantRow): Grant {
  return {
    id: row.id,
    subjectKind: row.subject_kind,
    subject: row.subject,
    role: row.role,
    expiresAt: row.expires_at,
    reason: row.reason,
    grantedBy: row.granted_by,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    revokedBy: row.revoked_by,
    lastUsedAt: row.last_used_at,
  };
}

const grantView = (g: Grant) => ({
  id: g.id,
  subjectKind: g.subjectKind,
  subject: g.subject,
  role: g.role,
  expiresAt: g.expiresAt?.toISOString() ?? null,
  reason: g.reason,
  grantedBy: g.grantedBy,
  revokedAt: g.revokedAt?.toISOString() ?? null,
  revokedBy: g.revokedBy,
});

/** Which subject a grant names, checked: emails compare case-insensitively, so they are stored lowercased. */
export function grantSubject(input: { user?: string | undefined; group?: string | undefined }): { kind: GrantSubjectKind; subject: string } {
  if ((input.user === undefined) === (input.group === undefined)) throw badRequest('ERR_BAD_GRANT', 'a grant names exactly one of a user (email) or a group');
  if (input.user !== undefined) {
    if (typeof input.user !== 'string' || input.user.length > 254 || !EMAIL.test(input.user)) throw badRequest('ERR_BAD_GRANT', `"${String(input.user).slice(0, 80)}" is not an email address`);
    return { kind: 'user', subject: input.user.toLowerCase() };
  }
  if (typeof input.group !== 'string' || !GROUP.test(input.group)) throw badRequest('ERR_BAD_GRANT', 'a group name is 1-255 characters without control characters');
  return { kind: 'group', subject: input.group };
}

export function createGrants(deps: IdentityDeps): Grants {
  const { db, audit, clock } = deps;
  return {
    async add(input, actor) {
      const { kind, subject } = grantSubject(input);
      const role = checkRoleName(input.role);
      if (typeof input.reason !== 'string' || input.reason.trim() === '' || input.reason.length > 500) {
        throw badRequest('ERR_BAD_GRANT', 'a grant needs a reason (1-500 characters): it is what a later review reads');
      }
      const now = clock();
      const expiresAt = input.expires === undefined ? null : new Date(now.getTime() + parseDuration(input.expires, 'expires') * 1000);
      return db.transaction().execute(async (trx) => {
        const exists = await trx.selectFrom('roles').select('name').where('name', '=', role).forShare().executeTakeFirst();
        if (!exists) throw notFound('ERR_UNKNOWN_ROLE', `no role named "${role}"; list them with: access-server role ls`);
        const row = await trx
          .insertInto('grants')
          .values({
            id: `grt_${randomBytes(8).toString('hex')}`,
            subject_kind: kind,
            subject,
            role,
            expires_at: expiresAt,
            reason: input.reason.trim(),
            granted_by: actorName(actor),
            created_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const grant = toGrant(row);
        await audit.append({ type: 'grant.created', actor, details: { grantId: grant.id, before: null, after: grantView(grant) } }, trx);
        return grant;
      });
    },

    async revoke(id, actor) {
      return db.transaction().execute(async (trx) => {
        const before = await trx.selectFrom('grants').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
        if (!before) throw notFound('ERR_UNKNOWN_GRANT', `no grant with id ${id}`);
        if (before.revoked_at) throw conflict('ERR_GRANT_REVOKED', `grant ${id} was already revoked at ${before.revoked_at.toISOString()} by ${before.revoked_by}`);
        const row = await trx.updateTable('grants').set({ revoked_at: clock(), revoked_by: actorName(actor) }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
        const after = toGrant(row);
        await audit.append({ type: 'grant.revoked', actor, details: { grantId: id, before: grantView(toGrant(before)), after: grantView(after) } }, trx);
        return after;
      });
    },

    async list(filter = {}) {
      let query = db.selectFrom('grants').selectAll().orderBy('created_at').orderBy('id');
      if (filter.user !== undefined) query = query.where('subject_kind', '=', 'user').where('subject', '=', filter.user.toLowerCase());
      if (filter.group !== undefined) query = query.where('subject_kind', '=', 'group').where('subject', '=', filter.group);
      if (filter.role !== undefined) query = query.where('role', '=', filter.role);
      if (filter.activeOnly) {
        const now = clock();
        query = query.where('revoked_at', 'is', null).where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
      }
      return (await query.execute()).map(toGrant);
    },
  };
}
