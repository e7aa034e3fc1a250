import { isIP } from 'node:net';
import type { AuditActor } from '@access/audit';
import type { HostRow } from '@access/db';
import { sql } from 'kysely';
import { badRequest, conflict, notFound } from '../errors.ts';
import { validateHostLabels } from './labels.ts';
import type { IdentityDeps } from './roles.ts';

export interface Host {
  name: string;
  /** host:port the gateway dials. */
  address: string;
  labels: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
  lastSeenAt: Date | null;
}

export interface HostInput {
  name: string;
  address: string;
  labels?: Record<string, string> | undefined;
}

export type HostChange = Partial<Omit<HostInput, 'name'>>;

export interface Hosts {
  create(input: HostInput, actor: AuditActor): Promise<Host>;
  update(name: string, change: HostChange, actor: AuditActor): Promise<Host>;
  delete(name: string, actor: AuditActor): Promise<void>;
  get(name: string): Promise<Host>;
  /** Every host, or those carrying all the given labels. */
  list(filter?: { labels?: Record<string, string> | undefined }): Promise<Host[]>;
}

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A host name as `ssh NAME` takes it: lowercase DNS labels joined by dots, at most 253 characters. */
export function checkHostName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 253 || !name.split('.').every((l) => DNS_LABEL.test(l))) {
    throw badRequest('ERR_BAD_HOST', `host name ${JSON.stringify(name)} must be lowercase DNS labels (a-z, 0-9, "-") joined by dots, e.g. web-1 or web-1.prod`);
  }
  return name;
}

/** `host:port`, `1.2.3.4:22` or `[::1]:22`; the port is required so the address is never ambiguous. */
export function checkHostAddress(address: unknown): string {
  const bad = () => badRequest('ERR_BAD_HOST', `host address ${JSON.stringify(address)} must be host:port, e.g. 10.0.0.5:22, web-1.internal:22 or [fd00::5]:22`);
  if (typeof address !== 'string') throw bad();
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  if (!m) throw bad();
  const port = Number(m[3]);
  if (port < 1 || port > 65_535) throw bad();
  if (m[1] !== undefined && isIP(m[1]) !== 6) throw bad();
  if (m[2] !== undefined && isIP(m[2]) !== 4) {
    const host = m[2].toLowerCase();
    if (host.length > 253 || !host.split('.').every((l) => DNS_LABEL.test(l))) throw bad();
  }
  return address;
}

export function toHost(row: HostRow): Host {
  return { name: row.name, address: row.address, labels: row.labels, createdAt: row.created_at, updatedAt: row.updated_at, lastSeenAt: row.last_seen_at };
}

const hostView = (h: { name: string; address: string; labels: Record<string, string> }) => ({ name: h.name, address: h.address, labels: h.labels });

export function createHosts(deps: IdentityDeps): Hosts {
  const { db, audit, clock } = deps;
  const missing = (name: string) => notFound('ERR_UNKNOWN_HOST', `no host named "${name}"`);

  return {
    async create(input, actor) {
      const spec = { name: checkHostName(input.name), address: checkHostAddress(input.address), labels: validateHostLabels(input.labels ?? {}) };
      const now = clock();
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('hosts')
          .values({ ...spec, labels: JSON.stringify(spec.labels), created_at: now, updated_at: now })
          .onConflict((oc) => oc.column('name').doNothing())
          .returningAll()
          .executeTakeFirst();
        if (!row) throw conflict('ERR_HOST_EXISTS', `a host named "${spec.name}" already exists`);
        await audit.append({ type: 'host.created', actor, details: { host: spec.name, before: null, after: hostView(spec) } }, trx);
        return toHost(row);
      });
    },

    async update(name, change, actor) {
      return db.transaction().execute(async (trx) => {
        const before = await trx.selectFrom('hosts').selectAll().where('name', '=', name).forUpdate().executeTakeFirst();
        if (!before) throw missing(name);
        const after = {
          name: before.name,
          address: change.address === undefined ? before.address : checkHostAddress(change.address),
          labels: change.labels === undefined ? before.labels : validateHostLabels(change.labels),
        };
        const row = await trx
          .updateTable('hosts')
          .set({ address: after.address, labels: JSON.stringify(after.labels), updated_at: clock() })
          .where('name', '=', name)
          .returningAll()
          .executeTakeFirstOrThrow();
        await audit.append({ type: 'host.updated', actor, details: { host: name, before: hostView(before), after: hostView(after) } }, trx);
        return toHost(row);
      });
    },

    async delete(name, actor) {
      await db.transaction().execute(async (trx) => {
        const before = await trx.deleteFrom('hosts').where('name', '=', name).returningAll().executeTakeFirst();
        if (!before) throw missing(name);
        await audit.append({ type: 'host.deleted', actor, details: { host: name, before: hostView(before), after: null } }, trx);
      });
    },

    async get(name) {
      const row = await db.selectFrom('hosts').selectAll().where('name', '=', name).executeTakeFirst();
      if (!row) throw missing(name);
      return toHost(row);
    },

    async list(filter = {}) {
      let query = db.selectFrom('hosts').selectAll().orderBy('name');
      if (filter.labels && Object.keys(filter.labels).length > 0) {
        const labels = validateHostLabels(filter.labels);
        query = query.where(sql<boolean>`labels @> ${JSON.stringify(labels)}::jsonb`);
      }
      return (await query.execute()).map(toHost);
    },
  };
}
