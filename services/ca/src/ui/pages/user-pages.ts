import type { FastifyInstance } from 'fastify';
import type { CaServices } from '../../http/services.ts';
import { getUserDetail } from '../../identity/user-detail.ts';
import { listUsers, lockUser, unlockUser } from '../../identity/users.ts';
import { asForm, field, requiredField } from '../forms.ts';
import { html } from '../html.ts';
import { notice, page, postForm, table, when } from '../layout.ts';
import { requirePage } from '../ui-context.ts';
import { seeOther, sendPage } from '../ui-reply.ts';
import { sessionRows, SESSION_HEADERS } from './session-rows.ts';

/** People: auditors read who they are and what they hold; admins lock and unlock them. */
export function registerUserPages(app: FastifyInstance, services: CaServices): void {
  const db = services.database.db;
  const deps = { db, audit: services.audit, clock: services.clock };

  app.get<{ Querystring: Record<string, string> }>('/ui/users', { preHandler: requirePage(services, 'audit') }, async (request, reply) => {
    const ui = request.ui!;
    const q = field(asForm(request.query), 'q', 'search', 254).toLowerCase();
    const users = (await listUsers(db)).filter((u) => !q || u.email.includes(q) || (u.displayName ?? '').toLowerCase().includes(q) || u.groups.some((g) => g.toLowerCase().includes(q)));
    const rows = users.map((u) => [
      html`<a href="/ui/users/${encodeURIComponent(u.id)}">${u.email}</a>`,
      u.displayName ?? '',
      u.groups.join(', '),
      u.lastLoginAt ? when(u.lastLoginAt) : 'never',
      u.lockedAt ? html`<span class="badge locked">locked</span>` : '',
    ]);
    const body = html`<form class="filters" method="get" action="/ui/users" role="search">
<label>Email, name or group <input type="search" name="q" value="${q}"></label>
<button type="submit">Search</button>
</form>
${table(['Email', 'Name', 'Groups', 'Last login', ''], rows, 'Nobody matches. People appear here after their first sign-in.')}`;
    return sendPage(reply, page(ui, { title: 'Users', section: 'users', body, notice: notice(request.query) }));
  });

  app.get<{ Params: { id: string }; Querystring: Record<string, string> }>('/ui/users/:id', { preHandler: requirePage(services, 'audit') }, async (request, reply) => {
    const ui = request.ui!;
    const detail = await getUserDetail(db, request.params.id, services.clock());
    const { user } = detail;
    const path = `/ui/users/${encodeURIComponent(user.id)}`;
    const grants = [...detail.grants.direct, ...detail.grants.viaGroups];
    const lockForm = !ui.can('admin')
      ? ''
      : user.lockedAt
        ? postForm(ui, `${path}/unlock`, html`<button type="submit">Unlock ${user.email}</button>`, { class: 'inline-form', label: 'Unlock' })
        : postForm(
            ui,
            `${path}/lock`,
            html`<label>Reason <input type="text" name="reason" required placeholder="why, for later reviews"></label><button type="submit" class="danger">Lock ${user.email}</button>`,
            { class: 'inline-form', label: 'Lock' },
          );
    const body = html`<dl class="facts">
<dt>Email</dt><dd>${user.email}${user.emailVerified ? '' : ' (not verified by the identity provider)'}</dd>
<dt>Name</dt><dd>${user.displayName ?? ''}</dd>
<dt>Identity</dt><dd class="mono">${user.issuer} · ${user.subject}</dd>
<dt>Groups</dt><dd>${user.groups.join(', ')}</dd>
<dt>Server login</dt><dd class="mono">${user.login ?? ''}</dd>
<dt>First seen</dt><dd>${when(user.createdAt)}</dd>
<dt>Last login</dt><dd>${user.lastLoginAt ? when(user.lastLoginAt) : 'never'}</dd>
<dt>State</dt><dd>${user.lockedAt ? html`<span class="badge locked">locked ${when(user.lockedAt)}</span> ${user.lockReason ?? ''}` : 'active'}</dd>
</dl>
${lockForm}
<h2>Grants</h2>
${table(
  ['Role', 'Given to', 'Expires', 'Reason', 'Last used'],
  grants.map((g) => [html`<a href="/ui/roles/${encodeURIComponent(g.role)}">${g.role}</a>`, `${g.subjectKind} ${g.subject}`, g.expiresAt ? when(g.expiresAt) : 'never', g.reason, g.lastUsedAt ? when(g.lastUsedAt) : 'never']),
  'No active grant.',
)}
<h2>Active certificates</h2>
${table(
  ['Serial', 'Principals', 'Valid until', 'Key'],
  detail.certificates.map((c) => [String(c.serial), html`<span class="mono">${c.principals.join(', ')}</span>`, when(c.validBefore), html`<span class="mono">${c.keyType} ${c.keyFingerprint}</span>`]),
  'No certificate is valid now.',
)}
<h2>Recent sessions</h2>
${table(SESSION_HEADERS, sessionRows(detail.sessions), 'No session yet.')}`;
    return sendPage(reply, page(ui, { title: user.displayName ?? user.email, section: 'users', body, notice: notice(request.query) }));
  });

  app.post<{ Params: { id: string } }>('/ui/users/:id/lock', { preHandler: requirePage(services, 'admin') }, async (request, reply) => {
    const reason = requiredField(asForm(request.body), 'reason', 'reason', 500);
    const user = await lockUser(deps, request.params.id, reason, request.ui!.caller.actor);
    // As the API does: their tokens end too; web sessions are refused while locked.
    await services.userTokens.revokeAll(user.id);
    await services.web.sessions.endAll(user.id);
    return seeOther(reply, `/ui/users/${encodeURIComponent(user.id)}`, 'user-locked');
  });

  app.post<{ Params: { id: string } }>('/ui/users/:id/unlock', { preHandler: requirePage(services, 'admin') }, async (request, reply) => {
    const user = await unlockUser(deps, request.params.id, request.ui!.caller.actor);
    return seeOther(reply, `/ui/users/${encodeURIComponent(user.id)}`, 'user-unlocked');
  });
}
