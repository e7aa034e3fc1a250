import type { FastifyInstance } from 'fastify';
import { enrollCommand } from '../../enrollment/enroll-script.ts';
import { createJoinToken } from '../../enrollment/join-tokens.ts';
import type { CaServices } from '../../http/services.ts';
import { validateHostLabels } from '../../identity/labels.ts';
import { asForm, field, labelsField, requiredField } from '../forms.ts';
import { html } from '../html.ts';
import { labelsText, notice, page, postForm, table, when } from '../layout.ts';
import { requirePage } from '../ui-context.ts';
import { seeOther, sendPage } from '../ui-reply.ts';

interface HostQuery {
  q?: string;
  labels?: string;
  done?: string;
}

/** Hosts: auditors list and search them; admins add, relabel and remove them. */
export function registerHostPages(app: FastifyInstance, services: CaServices): void {
  const hosts = services.identity.hosts;

  app.get<{ Querystring: HostQuery }>('/ui/hosts', { preHandler: requirePage(services, 'audit') }, async (request, reply) => {
    const ui = request.ui!;
    const form = asForm(request.query);
    const q = field(form, 'q', 'name', 100).toLowerCase();
    const labels = validateHostLabels(labelsField(form, 'labels', 'labels'));
    const found = (await hosts.list({ labels: Object.keys(labels).length ? labels : undefined })).filter((h) => !q || h.name.includes(q) || h.address.includes(q));
    const admin = ui.can('admin');
    const rows = found.map((h) => [
      html`<a href="/ui/hosts/${encodeURIComponent(h.name)}">${h.name}</a>`,
      html`<span class="mono">${h.address}</span>`,
      labelsText(h.labels),
      h.lastSeenAt ? when(h.lastSeenAt) : 'never',
    ]);
    const body = html`<form class="filters" method="get" action="/ui/hosts" role="search">
<label>Name or address <input type="search" name="q" value="${q}"></label>
<label>Labels <input type="text" name="labels" value="${field(form, 'labels', 'labels', 500)}" placeholder="env=prod, team=web"></label>
<button type="submit">Search</button>
</form>
${table(['Name', 'Address', 'Labels', 'Last session'], rows, 'No host matches.')}
${admin ? html`${joinTokenForm(ui)}${addHostForm(ui)}` : ''}
<p class="hint">Servers enroll themselves with a join token (here or <code>access hosts token</code>); an admin can also add one by hand.</p>`;
    return sendPage(reply, page(ui, { title: 'Hosts', section: 'hosts', body, notice: notice(request.query) }));
  });

  app.post('/ui/hosts', { preHandler: requirePage(services, 'admin') }, async (request, reply) => {
    const form = asForm(request.body);
    const host = await hosts.create(
      { name: requiredField(form, 'name', 'name', 253), address: requiredField(form, 'address', 'address', 300), labels: labelsField(form, 'labels', 'labels') },
      request.ui!.caller.actor,
    );
    return seeOther(reply, `/ui/hosts/${encodeURIComponent(host.name)}`, 'host-saved');
  });

  // The token is shown once, on this response: it is never stored, so there is nothing to redirect to.
  app.post('/ui/hosts/tokens', { preHandler: requirePage(services, 'admin') }, async (request, reply) => {
    const ui = request.ui!;
    const form = asForm(request.body);
    const name = field(form, 'name', 'name', 253);
    const created = await createJoinToken(
      { db: services.database.db, audit: services.audit, clock: services.clock },
      { labels: labelsField(form, 'labels', 'labels'), ttl: field(form, 'ttl', 'ttl', 40) || undefined, name: name || undefined },
      ui.caller.actor,
    );
    const body = html`<p>Run this on the server as root before ${when(created.expiresAt)}. It works once, and this page is the only time it is shown.</p>
<pre class="mono">${enrollCommand(services.config.publicUrl, created.token)}</pre>
<p>Labels: ${labelsText(created.labels) || 'none'}${created.name ? html`; only for the host ${created.name}` : ''}.</p>
<p><a href="/ui/hosts">Back to hosts</a></p>`;
    return sendPage(reply, page(ui, { title: 'Join token', section: 'hosts', body }));
  });

  app.get<{ Params: { name: string }; Querystring: HostQuery }>('/ui/hosts/:name', { preHandler: requirePage(services, 'audit') }, async (request, reply) => {
    const ui = request.ui!;
    const host = await hosts.get(request.params.name);
    const path = `/ui/hosts/${encodeURIComponent(host.name)}`;
    const facts = html`<dl class="facts">
<dt>Name</dt><dd>${host.name}</dd>
<dt>Address</dt><dd class="mono">${host.address}</dd>
<dt>Labels</dt><dd>${labelsText(host.labels)}</dd>
<dt>Added</dt><dd>${when(host.createdAt)}</dd>
<dt>Last session</dt><dd>${host.lastSeenAt ? when(host.lastSeenAt) : 'never'}</dd>
</dl>
<p><a href="/ui/sessions?host=${encodeURIComponent(host.name)}">Sessions on this host</a></p>`;
    const edit = ui.can('admin')
      ? html`<h2>Change</h2>
${postForm(
  ui,
  path,
  html`<label>Address <input type="text" name="address" value="${host.address}" required></label>
<label>Labels <span class="hint">key=value, separated by commas</span><input type="text" name="labels" value="${labelsText(host.labels)}"></label>
<button type="submit">Save</button>`,
  { class: 'stacked', label: 'Change host' },
)}
${postForm(ui, `${path}/delete`, html`<button type="submit" class="danger">Delete ${host.name}</button>`, { class: 'row-action' })}`
      : '';
    return sendPage(reply, page(ui, { title: `Host ${host.name}`, section: 'hosts', body: html`${facts}${edit}`, notice: notice(request.query) }));
  });

  app.post<{ Params: { name: string } }>('/ui/hosts/:name', { preHandler: requirePage(services, 'admin') }, async (request, reply) => {
    const form = asForm(request.body);
    const host = await hosts.update(
      request.params.name,
      { address: requiredField(form, 'address', 'address', 300), labels: labelsField(form, 'labels', 'labels') },
      request.ui!.caller.actor,
    );
    return seeOther(reply, `/ui/hosts/${encodeURIComponent(host.name)}`, 'host-saved');
  });

  app.post<{ Params: { name: string } }>('/ui/hosts/:name/delete', { preHandler: requirePage(services, 'admin') }, async (request, reply) => {
    await hosts.delete(request.params.name, request.ui!.caller.actor);
    return seeOther(reply, '/ui/hosts', 'host-deleted');
  });
}

function joinTokenForm(ui: Parameters<typeof postForm>[0]) {
  return html`<h2>Create a join token</h2>
${postForm(
  ui,
  '/ui/hosts/tokens',
  html`<label>Labels <span class="hint">the enrolled host gets these, key=value separated by commas</span><input type="text" name="labels" placeholder="env=prod, team=web"></label>
<label>Valid for <span class="hint">at most 24h</span><input type="text" name="ttl" value="1h"></label>
<label>Host name <span class="hint">optional: the only name the server may enroll as</span><input type="text" name="name"></label>
<button type="submit">Create a join token</button>`,
  { class: 'stacked', label: 'Create a join token' },
)}`;
}

function addHostForm(ui: Parameters<typeof postForm>[0]) {
  return html`<h2>Add a host</h2>
${postForm(
  ui,
  '/ui/hosts',
  html`<label>Name <span class="hint">what engineers type after ssh, e.g. web-1</span><input type="text" name="name" required></label>
<label>Address <span class="hint">host:port the gateway dials</span><input type="text" name="address" required placeholder="10.0.0.5:22"></label>
<label>Labels <span class="hint">key=value, separated by commas</span><input type="text" name="labels" placeholder="env=prod, team=web"></label>
<button type="submit">Add host</button>`,
  { class: 'stacked', label: 'Add a host' },
)}`;
}
