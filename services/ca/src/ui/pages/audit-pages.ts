import { AUDIT_EVENT_CODES, type AuditRecord } from '@access/audit';
import type { FastifyInstance } from 'fastify';
import { allowExport, streamAuditExport } from '../../audit/audit-export.ts';
import { searchAudit } from '../../audit/audit-search.ts';
import { parseAuditExportQuery, sendExport } from '../../http/routes/audit-export-routes.ts';
import { parseAuditQuery } from '../../http/routes/audit-query.ts';
import type { CaServices } from '../../http/services.ts';
import { queryFromForm } from '../forms.ts';
import { html, type Html } from '../html.ts';
import { page, when } from '../layout.ts';
import { requirePage } from '../ui-context.ts';
import { sendPage } from '../ui-reply.ts';

const FILTERS = ['type', 'actor', 'text', 'since', 'until', 'session', 'remote', 'code'] as const;
const PAGE_SIZE = '50';

/** The audit log for auditors: server-side filters, keyset paging both ways, every event expandable. */
export function registerAuditPages(app: FastifyInstance, services: CaServices): void {
  app.get<{ Querystring: Record<string, unknown> }>('/ui/audit', { preHandler: requirePage(services, 'audit') }, async (request, reply) => {
    const ui = request.ui!;
    const query = queryFromForm(request.query, [...FILTERS, 'before', 'after']);
    const filter = parseAuditQuery({ ...query, limit: PAGE_SIZE });
    const result = await searchAudit(services.database.db, filter);
    // A page reached with `after` comes oldest first; it is shown newest first like the others.
    const events = filter.after !== undefined ? [...result.events].reverse() : result.events;
    const filters = Object.fromEntries(Object.entries(query).filter(([k]) => k !== 'before' && k !== 'after'));
    const link = (cursor: Record<string, string>) => `/ui/audit?${new URLSearchParams({ ...filters, ...cursor }).toString()}`;
    const newest = events[0]?.seq;
    const oldest = events.at(-1)?.seq;
    const older = filter.after !== undefined ? (oldest !== undefined && oldest > 1n ? String(oldest) : null) : result.nextBefore !== null ? String(result.nextBefore) : null;
    const newer = filter.after !== undefined ? (result.nextAfter !== null ? String(result.nextAfter) : null) : filter.before !== undefined && newest !== undefined ? String(newest) : null;
    const pager = html`<nav class="pager" aria-label="Pages">
${newer ? html`<a href="${link({ after: newer })}" rel="prev">Newer events</a>` : ''}
${older ? html`<a href="${link({ before: older })}" rel="next">Older events</a>` : ''}
${result.partial ? html`<span class="hint">Text search read ${result.scanned ?? 0} events for this page; older pages may hold more matches.</span>` : ''}
</nav>`;
    const body = html`${filterForm(query)}
${pager}
${eventTable(events)}
${pager}
${exportForm()}`;
    return sendPage(reply, page(ui, { title: 'Audit log', section: 'audit', body }));
  });

  // The same signed archive as GET /v1/audit/export, for the browser's session; the same per-person limit.
  app.get<{ Querystring: Record<string, unknown> }>('/ui/audit/export', { preHandler: requirePage(services, 'audit') }, async (request, reply) => {
    const filter = parseAuditExportQuery(queryFromForm(request.query, ['since', 'until', 'format', 'sessions']));
    const { actor } = request.ui!.caller;
    allowExport(services, actor);
    return sendExport(reply, await streamAuditExport(services, filter, actor, request.ip));
  });
}

function exportForm(): Html {
  return html`<h2>Export</h2>
<p>A signed archive of the events in a time range (and, if asked, the recordings of the sessions that started in it). <code>access audit verify &lt;file&gt;</code> checks it offline with the CA's public key and names the first altered or missing record.</p>
<form class="filters" method="get" action="/ui/audit/export" aria-label="Export the audit log">
<label>From (UTC) <input type="datetime-local" name="since"></label>
<label>Until (UTC) <input type="datetime-local" name="until"></label>
<label>Format <select name="format"><option value="jsonl">JSON lines</option><option value="csv">CSV</option></select></label>
<label><span>With session recordings</span><input type="checkbox" name="sessions" value="true"></label>
<button type="submit">Download export</button>
</form>`;
}

function filterForm(query: Record<string, string>): Html {
  const value = (name: string) => query[name] ?? '';
  const local = (name: string) => value(name).replace(/:00Z$/, '');
  return html`<form class="filters" method="get" action="/ui/audit" role="search" aria-label="Filter the audit log">
<label>Type <select name="type"><option value="">any</option>${Object.keys(AUDIT_EVENT_CODES).map((t) => html`<option${t === value('type') ? html` selected` : ''}>${t}</option>`)}</select></label>
<label>Actor (id or email) <input type="search" name="actor" value="${value('actor')}"></label>
<label>Text in details <input type="search" name="text" value="${value('text')}"></label>
<label>Session <input type="search" name="session" value="${value('session')}" placeholder="ses_…"></label>
<label>From (UTC) <input type="datetime-local" name="since" value="${local('since')}"></label>
<label>Until (UTC) <input type="datetime-local" name="until" value="${local('until')}"></label>
<button type="submit">Filter</button>
<a href="/ui/audit">Clear</a>
</form>`;
}

function summary(e: AuditRecord): string {
  const d = e.details;
  const pick = (...keys: string[]) => keys.map((k) => d[k]).filter((v) => typeof v === 'string' || typeof v === 'number').join(' ');
  return pick('reason', 'sessionId', 'host', 'login', 'role', 'subject', 'name', 'serial', 'route').slice(0, 160);
}

function eventTable(events: readonly AuditRecord[]): Html {
  if (events.length === 0) return html`<p class="empty">No event matches.</p>`;
  return html`<table class="audit">
<thead><tr><th scope="col">Seq</th><th scope="col">Time (UTC)</th><th scope="col">Event</th><th scope="col">Actor</th><th scope="col">From</th><th scope="col">Details</th></tr></thead>
<tbody>${events.map(
    (e) => html`<tr>
<td class="mono">${String(e.seq)}</td>
<td>${when(e.time)}</td>
<td><code>${e.code}</code> ${e.type}</td>
<td>${e.actor.name ?? `${e.actor.kind}:${e.actor.id}`}</td>
<td class="mono">${e.remote ?? ''}</td>
<td><details class="event"><summary>${summary(e) || 'details'}</summary><pre>${JSON.stringify({ ...e, seq: String(e.seq) }, null, 2)}</pre></details></td>
</tr>`,
  )}</tbody>
</table>`;
}
