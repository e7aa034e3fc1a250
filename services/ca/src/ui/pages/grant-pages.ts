import type { FastifyInstance } from 'fastify';
import type { CaServices } from '../../http/services.ts';
import { reviewGrants } from '../../identity/grant-review.ts';
import type { Grant } from '../../identity/grants.ts';
import { listUsers } from '../../identity/users.ts';
import { asForm, field, requiredField } from '../forms.ts';
import { html, type Html } from '../html.ts';
import { notice, page, postForm, table, when } from '../layout.ts';
import { requirePage, type UiContext } from '../ui-context.ts';
import { seeOther, sendPage } from '../ui-reply.ts';

/** Grants: auditors read them and the access review; admins grant (to a person or an IdP group) and revoke. */
export function registerGrantPages(app: FastifyInstance, services: CaServices): void {
  const grants = services.identity.grants;

  app.get<{ Querystring: Record<string, string> }>('/ui/grants', { preHandler: requirePage(services, 'audit') }, async (request, reply) => {
    const ui = request.ui!;
    const form = asForm(request.query);
    const user = field(form, 'user', 'user', 254) || undefined;
    const role = field(form, 'role', 'role', 63) || undefined;
    const all = field(form, 'all', 'all') === '1';
    const list = await grants.list({ user, role, activeOnly: !all });
    const roleNames = (await services.identity.roles.list()).map((r) => r.name);
    const body = html`<p><a href="/ui/grants/review">Access review: grants expiring soon and grants nobody used for 30 days</a></p>
<form class="filters" method="get" action="/ui/grants" role="search">
<label>Person (email) <input type="search" name="user" value="${user ?? ''}"></label>
<label>Role <select name="role"><option value="">any</option>${roleNames.map((n) => html`<option${n === role ? html` selected` : ''}>${n}</option>`)}</select></label>
<label><span>Revoked and expired too</span><input type="checkbox" name="all" value="1"${all ? html` checked` : ''}></label>
<button type="submit">Filter</button>
</form>
${grantTable(ui, list, services.clock(), await actorNames(services))}
${ui.can('admin') ? addGrantForm(ui, roleNames) : ''}`;
    return sendPage(reply, page(ui, { title: 'Grants', section: 'grants', body, notice: notice(request.query) }));
  });

  app.post('/ui/grants', { preHandler: requirePage(services, 'admin') }, async (request, reply) => {
    const form = asForm(request.body);
    const kind = field(form, 'kind', 'kind');
    const subject = requiredField(form, 'subject', kind === 'group' ? 'group' : 'email', 255);
    const expires = field(form, 'expires', 'expires', 20);
    await grants.add(
      {
        ...(kind === 'group' ? { group: subject } : { user: subject }),
        role: requiredField(form, 'role', 'role', 63),
        expires: expires || undefined,
        reason: requiredField(form, 'reason', 'reason', 500),
      },
      request.ui!.caller.actor,
    );
    return seeOther(reply, '/ui/grants', 'grant-added');
  });

  app.post<{ Params: { id: string } }>('/ui/grants/:id/revoke', { preHandler: requirePage(services, 'admin') }, async (request, reply) => {
    await grants.revoke(request.params.id, request.ui!.caller.actor);
    return seeOther(reply, '/ui/grants', 'grant-revoked');
  });

  app.get('/ui/grants/review', { preHandler: requirePage(services, 'audit') }, async (request, reply) => {
    const ui = request.ui!;
    const now = services.clock();
    const review = await reviewGrants(services.database.db, now);
    const names = await actorNames(services);
    const body = html`<p>Grants that end within 7 days, and grants older than 30 days that gave nobody a certificate in the last 30 days (candidates to revoke).</p>
<h2>Expiring soon</h2>
${grantTable(ui, review.expiringSoon, now, names, 'No grant ends in the next 7 days.')}
<h2>Unused for 30 days</h2>
${grantTable(ui, review.unused, now, names, 'Every grant older than 30 days was used in the last 30 days.')}`;
    return sendPage(reply, page(ui, { title: 'Access review', section: 'grants', body }));
  });
}

/** `user:usr_…` as the person's email, for the "Granted by" column; other actors as they are. */
async function actorNames(services: CaServices): Promise<(actor: string) => string> {
  const emails = new Map((await listUsers(services.database.db)).map((u) => [`user:${u.id}`, u.email]));
  return (actor) => emails.get(actor) ?? actor;
}

function grantTable(ui: UiContext, list: readonly Grant[], now: Date, nameOf: (actor: string) => string, empty = 'No grant matches.'): Html {
  const admin = ui.can('admin');
  const rows = list.map((g) => {
    const active = !g.revokedAt && (!g.expiresAt || g.expiresAt > now);
    const state = g.revokedAt ? html`<span class="badge locked">revoked ${when(g.revokedAt)}</span>` : !active ? html`<span class="badge">expired</span>` : html`<span class="badge live">active</span>`;
    const revoke =
      admin && active
        ? postForm(ui, `/ui/grants/${encodeURIComponent(g.id)}/revoke`, html`<button type="submit" class="danger" aria-label="Revoke ${g.role} from ${g.subject}">Revoke</button>`, { class: 'row-action' })
        : '';
    return [
      html`<span class="mono">${g.subjectKind === 'group' ? `group ${g.subject}` : g.subject}</span>`,
      html`<a href="/ui/roles/${encodeURIComponent(g.role)}">${g.role}</a>`,
      g.expiresAt ? when(g.expiresAt) : 'never',
      g.reason,
      nameOf(g.grantedBy),
      g.lastUsedAt ? when(g.lastUsedAt) : 'never',
      state,
      revoke,
    ];
  });
  return table(['Given to', 'Role', 'Expires', 'Reason', 'Granted by', 'Last used', 'State', ''], rows, empty);
}

function addGrantForm(ui: UiContext, roleNames: readonly string[]): Html {
  return html`<h2>Grant a role</h2>
${postForm(
  ui,
  '/ui/grants',
  html`<label>To <select name="kind"><option value="user">a person (email)</option><option value="group">an identity provider group</option></select></label>
<label>Email or group <input type="text" name="subject" required></label>
<label>Role <select name="role" required>${roleNames.map((n) => html`<option>${n}</option>`)}</select></label>
<label>Expires after <span class="hint">e.g. 8h, 30d; empty: never</span><input type="text" name="expires"></label>
<label>Reason <span class="hint">for the next access review</span><input type="text" name="reason" required></label>
<button type="submit">Grant</button>`,
  { class: 'stacked', label: 'Grant a role' },
)}`;
}
