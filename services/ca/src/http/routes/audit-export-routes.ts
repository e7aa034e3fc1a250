import { EXPORT_FORMATS, type ExportFilter, type ExportFormat } from '@access/audit';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { allowExport, streamAuditExport, type AuditExport } from '../../audit/audit-export.ts';
import { badRequest } from '../../errors.ts';
import { requireCaller } from '../caller.ts';
import type { CaServices } from '../services.ts';
import { booleanParam, queryParams } from './request-input.ts';
import { isoTime } from './session-query.ts';

// The web UI serves the same download through this route; it may also call the export itself.
export { streamAuditExport } from '../../audit/audit-export.ts';

export { EXPORTS_PER_MINUTE } from '../../audit/audit-export.ts';

const bad = (message: string) => badRequest('ERR_BAD_REQUEST', message);

/** `GET /v1/audit/export` query parameters → a filter; each bad one is a 400 that names it. */
export function parseAuditExportQuery(query: unknown): ExportFilter {
  const q = queryParams(query, ['since', 'until', 'format', 'sessions']);
  const one = (name: string): string | undefined => q[name]?.[0];
  const since = one('since') === undefined ? null : isoTime(one('since')!, 'since');
  const until = one('until') === undefined ? null : isoTime(one('until')!, 'until');
  if (since && until && since >= until) throw bad(`since (${since.toISOString()}) must be before until (${until.toISOString()})`);
  const format = one('format') ?? 'jsonl';
  if (!EXPORT_FORMATS.includes(format as ExportFormat)) throw bad(`format must be ${EXPORT_FORMATS.join(' or ')}; got ${JSON.stringify(format.slice(0, 40))}`);
  return { since, until, format: format as ExportFormat, sessions: booleanParam(one('sessions'), 'sessions') ?? false };
}

/** The signed audit export (packages/audit README, "Exports"); needs the audit capability. */
export const auditExportRoutes = (services: CaServices): FastifyPluginAsync =>
  async (app) => {
    app.get('/v1/audit/export', { onRequest: requireCaller(services, 'audit') }, async (request, reply) => {
      const filter = parseAuditExportQuery(request.query);
      const { actor } = request.caller!;
      allowExport(services, actor);
      const exported = await streamAuditExport(services, filter, actor, request.ip);
      return sendExport(reply, exported);
    });
  };

/** The archive as a download. */
export function sendExport(reply: FastifyReply, exported: AuditExport): FastifyReply {
  return reply
    .type('application/x-tar')
    .header('content-disposition', `attachment; filename="${exported.filename}"`)
    .header('cache-control', 'no-store')
    .header('x-access-audit-count', String(exported.count))
    .send(exported.stream);
}
