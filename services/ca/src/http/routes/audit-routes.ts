import type { AuditRecord } from '@access/audit';
import type { FastifyPluginAsync } from 'fastify';
import { searchAudit, type AuditPage } from '../../audit/audit-search.ts';
import { requireCaller } from '../caller.ts';
import type { CaServices } from '../services.ts';
import { parseAuditQuery } from './audit-query.ts';

/** An audit event as JSON: seq as a string (it is an int8), the time as ISO, the chain hashes. */
export const auditEventJson = (e: AuditRecord) => ({
  seq: e.seq.toString(),
  id: e.id,
  time: e.time.toISOString(),
  type: e.type,
  code: e.code,
  actor: e.actor,
  remote: e.remote,
  details: e.details,
  prevHash: e.prevHash,
  hash: e.hash,
});

export const auditPageJson = (p: AuditPage) => ({
  events: p.events.map(auditEventJson),
  nextBefore: p.nextBefore?.toString() ?? null,
  nextAfter: p.nextAfter?.toString() ?? null,
  scanned: p.scanned,
  partial: p.partial,
});

/** The audit log, searched page by page. Needs the audit capability. */
export const auditRoutes = (services: CaServices): FastifyPluginAsync =>
  async (app) => {
    const read = { onRequest: requireCaller(services, 'audit') };

    app.get('/v1/audit', read, async (request) => auditPageJson(await searchAudit(services.database.db, parseAuditQuery(request.query))));
  };
