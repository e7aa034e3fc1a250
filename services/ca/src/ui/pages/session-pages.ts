import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CaServices } from '../../http/services.ts';
import { parseSessionQuery } from '../../http/routes/session-query.ts';
import { getSession, listSessions, type Session } from '../../sessions/session-store.ts';
import { asForm, field, queryFromForm } from '../forms.ts';
import { html, type Html } from '../html.ts';
import { notice, page, postForm, table, when } from '../layout.ts';
import { requirePage, type UiContext } from '../ui-context.ts';
import { seeOther, sendPage } from '../ui-reply.ts';
import { sessionRows, SESSION_HEADERS } from './session-rows.ts';
import { castForPlayer, uiSessionScope } from './session-data.ts';
import { auditRecordingRead } from '../../sessions/session-read-audit.ts';
import { terminateSession } from '../../sessions/session-terminate.ts';
import { sessionTranscript, transcriptDocument, transcriptFilename } from '../../sessions/session-transcript.ts';

const FILTERS = ['user', 'host', 'login', 'status', 'since', 'until', 'text', 'before'] as const;
const PAGE_SIZE = 50;

/** Sessions: everyone sees their own, auditors all; replay, live view, transcript; admins end live ones. */
export function registerSessionPages(app: FastifyInstance, services: CaServices): void {
  const db = services.database.db;
  const signedIn = { preHandler: requirePage(services, 'user') };

  /** The session, if this person may see it: their own, or any with the audit capability; else 404. */
  const visible = async (request: FastifyRequest<{ Params: { id: string } }>): Promise<Session> => {
    return getSession(db, request.params.id, uiSessionScope(request.ui!));
  };

  app.get<{ Querystring: Record<string, unknown> }>('/ui/sessions', signedIn, async (request, reply) => {
    const ui = request.ui!;
    const query = queryFromForm(request.query, FILTERS);
    const sessions = await listSessions(db, parseSessionQuery({ ...query, limit: String(PAGE_SIZE) }), uiSessionScope(ui));
    const filters = Object.fromEntries(Object.entries(query).filter(([k]) => k !== 'before'));
    const older = sessions.length === PAGE_SIZE ? `/ui/sessions?${new URLSearchParams({ ...filters, before: sessions.at(-1)!.id }).toString()}` : null;
    const body = html`${filterForm(ui, query)}
${table(SESSION_HEADERS, sessionRows(sessions), 'No session matches.')}
${older ? html`<nav class="pager" aria-label="Pages"><a href="${older}" rel="next">Older sessions</a></nav>` : ''}`;
    return sendPage(reply, page(ui, { title: ui.can('audit') ? 'Sessions' : 'My sessions', section: 'sessions', body, notice: notice(request.query) }));
  });

  app.get<{ Params: { id: string }; Querystring: Record<string, string> }>('/ui/sessions/:id', signedIn, async (request, reply) => {
    const ui = request.ui!;
    const s = await visible(request);
    const live = s.status === 'live';
    const body = html`<dl class="facts">
<dt>Person</dt><dd>${s.user.email}</dd>
<dt>Login and host</dt><dd class="mono">${s.login}@${s.host} (${s.hostAddress})</dd>
<dt>From</dt><dd class="mono">${s.clientAddress ?? ''}</dd>
<dt>Kind</dt><dd>${s.kind}${s.command ? html` <code>${s.command}</code>` : ''}</dd>
<dt>Started</dt><dd>${when(s.startedAt)}</dd>
<dt>Ended</dt><dd>${s.endedAt ? when(s.endedAt) : ''} ${s.endReason ?? ''}</dd>
<dt>State</dt><dd><span class="badge ${s.status}">${s.status}</span>${s.exitStatus !== null ? ` exit ${s.exitStatus}` : ''}${s.exitSignal ? ` signal ${s.exitSignal}` : ''}</dd>
<dt>Bytes</dt><dd>${String(s.bytesIn)} in, ${String(s.bytesOut)} out${s.recordingTruncated ? ' (recording truncated at its size limit)' : ''}</dd>
</dl>
<div class="actions">
<a href="/ui/sessions/${s.id}/transcript" download>Download transcript (text)</a>
${ui.can('audit') ? html`<a href="/ui/audit?session=${s.id}">Audit events of this session</a>` : ''}
</div>
${live && ui.can('admin') ? terminateForm(ui, s) : ''}
<h2>${live ? 'Live view' : 'Replay'}</h2>
<div class="player" data-access-player data-cast-url="/ui/sessions/${s.id}/cast" data-xterm-url="/ui/assets/vendor/xterm-headless.mjs" data-live="${live ? 'true' : 'false'}" data-pty="${s.term === null ? 'false' : 'true'}" data-cols="${s.cols || 80}" data-rows="${s.rows || 24}"></div>
<noscript><p>The player needs JavaScript; the transcript above is plain text.</p></noscript>`;
    return sendPage(reply, page(ui, { title: `Session ${s.id}`, section: 'sessions', body, scripts: ['player.js'], notice: notice(request.query) }));
  });

  app.get<{ Params: { id: string }; Querystring: { after?: string } }>('/ui/sessions/:id/cast', signedIn, async (request, reply) => {
    const s = await visible(request);
    const cast = await castForPlayer(services, request.ui!, s, field(asForm(request.query), 'after', 'after', 12), request.ip);
    return reply
      .headers({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'x-access-chunk-seq': String(cast.lastSeq), 'x-access-session-status': cast.status })
      .type('text/plain; charset=utf-8')
      .send(cast.text);
  });

  app.get<{ Params: { id: string } }>('/ui/sessions/:id/transcript', signedIn, async (request, reply) => {
    const s = await visible(request);
    await auditRecordingRead({ db, audit: services.audit }, { actor: request.ui!.caller.actor, remote: request.ip, session: s, format: 'text', follow: false });
    return reply
      .headers({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-disposition': `attachment; filename="${transcriptFilename(s)}"` })
      .type('text/plain; charset=utf-8')
      .send(transcriptDocument(s, await sessionTranscript(db, s)));
  });

  app.post<{ Params: { id: string } }>('/ui/sessions/:id/terminate', { preHandler: requirePage(services, 'admin') }, async (request, reply) => {
    await terminateSession(services, request.params.id, request.ui!.caller.actor, field(asForm(request.body), 'reason', 'reason', 200), request.ip);
    return seeOther(reply, `/ui/sessions/${encodeURIComponent(request.params.id)}`, 'session-terminated');
  });
}

function filterForm(ui: UiContext, query: Record<string, string>): Html {
  const value = (name: string) => query[name] ?? '';
  const local = (name: string) => value(name).replace(/:00Z$/, '');
  return html`<form class="filters" method="get" action="/ui/sessions" role="search" aria-label="Filter sessions">
${ui.can('audit') ? html`<label>Person (email) <input type="search" name="user" value="${value('user')}"></label>` : ''}
<label>Host <input type="search" name="host" value="${value('host')}"></label>
<label>Login <input type="search" name="login" value="${value('login')}"></label>
<label>State <select name="status"><option value="">any</option>${['live', 'ended', 'interrupted'].map((s) => html`<option${s === value('status') ? html` selected` : ''}>${s}</option>`)}</select></label>
<label>From (UTC) <input type="datetime-local" name="since" value="${local('since')}"></label>
<label>Until (UTC) <input type="datetime-local" name="until" value="${local('until')}"></label>
<label>Text typed or shown <input type="search" name="text" value="${value('text')}"></label>
<button type="submit">Filter</button>
<a href="/ui/sessions">Clear</a>
</form>`;
}

function terminateForm(ui: UiContext, s: Session): Html {
  return postForm(
    ui,
    `/ui/sessions/${s.id}/terminate`,
    html`<label>Reason <input type="text" name="reason" placeholder="why, for the record"></label><button type="submit" class="danger">End this session now</button>`,
    { class: 'inline-form', label: 'End session' },
  );
}
