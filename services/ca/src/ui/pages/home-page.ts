import type { FastifyInstance } from 'fastify';
import { AccessError } from '../../errors.ts';
import { resolveAccess, type Access } from '../../identity/access-resolver.ts';
import { reachableHosts } from '../../identity/reachable-hosts.ts';
import type { CaServices } from '../../http/services.ts';
import { html } from '../html.ts';
import { labelsText, page, table, when } from '../layout.ts';
import { sendPage } from '../ui-reply.ts';
import { requirePage } from '../ui-context.ts';

/** Everyone's start page: who they are, their grants, the hosts and logins these give them. */
export function registerHomePage(app: FastifyInstance, services: CaServices): void {
  const db = services.database.db;
  app.get('/ui', { preHandler: requirePage(services, 'user') }, async (request, reply) => {
    const ui = request.ui!;
    const user = ui.caller.user;
    if (!user) throw new AccessError('ERR_NOT_A_PERSON', 400, 'the web UI is for people');
    let access: Access | null = null;
    try {
      access = await resolveAccess(db, user, services.clock());
    } catch (error) {
      if (!(error instanceof AccessError) || error.status >= 500) throw error;
    }
    const hosts = access ? await reachableHosts(db, user.id, access) : [];
    const grants = access ? await services.identity.grants.list({ activeOnly: true }) : [];
    const mine = grants.filter((g) => access!.grantIds.includes(g.id));
    const body = html`<dl class="facts">
<dt>Email</dt><dd>${user.email}</dd>
<dt>Name</dt><dd>${user.displayName ?? ''}</dd>
<dt>Groups</dt><dd>${user.groups.join(', ')}</dd>
<dt>Login on servers</dt><dd class="mono">${access?.principals.join(', ') ?? ''}</dd>
<dt>Roles</dt><dd>${access?.roles.join(', ') || 'none: ask an admin for a grant'}</dd>
<dt>Last sign-in</dt><dd>${when(user.lastLoginAt)}</dd>
</dl>
<h2>Your grants</h2>
${table(
  ['Role', 'Given to', 'Expires', 'Reason', 'Granted by'],
  mine.map((g) => [g.role, `${g.subjectKind} ${g.subject}`, g.expiresAt ? when(g.expiresAt) : 'never', g.reason, g.grantedBy]),
  'You hold no grant yet.',
)}
<h2>Where you can sign in</h2>
${table(
  ['Host', 'Labels', 'Logins', 'Try'],
  hosts.map(({ host, logins }) => [host.name, labelsText(host.labels), html`<span class="mono">${logins.join(', ')}</span>`, html`<code>ssh ${logins[0]}@${host.name}</code>`]),
  'No host matches your roles.',
)}
<p><a href="/ui/sessions">Your sessions</a></p>`;
    return sendPage(reply, page(ui, { title: 'My access', section: 'home', body }));
  });
}
