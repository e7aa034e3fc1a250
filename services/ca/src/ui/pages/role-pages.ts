import type { RolePermissions } from '@access/db';
import type { FastifyInstance } from 'fastify';
import { formatDuration } from '../../duration.ts';
import type { CaServices } from '../../http/services.ts';
import { previewRoleReach } from '../../identity/role-reach.ts';
import { CAPABILITIES, PERMISSION_NAMES, parseRoleInput, type RoleInput, type RoleSpec } from '../../identity/role-input.ts';
import { asForm, checkbox, field, listField, requiredField, selectorField, selectorText, type Form } from '../forms.ts';
import { html, type Html } from '../html.ts';
import { labelsText, notice, page, postForm, table } from '../layout.ts';
import { requirePage, type UiContext } from '../ui-context.ts';
import { seeOther, sendPage } from '../ui-reply.ts';

const PERMISSION_LABELS: Record<keyof RolePermissions, string> = {
  pty: 'Interactive terminal (pty)',
  portForwarding: 'Port forwarding (-L, -R)',
  agentForwarding: 'Agent forwarding',
  fileTransfer: 'File transfer (scp, sftp)',
  x11: 'X11 forwarding',
};

/** Roles: auditors read them and what they reach; admins create, edit (with a preview) and delete. */
export function registerRolePages(app: FastifyInstance, services: CaServices): void {
  const roles = services.identity.roles;
  const reachTable = async (role: RoleInput | string): Promise<Html> =>
    html`<h2>Reaches</h2>${table(
      ['Host', 'Address', 'Labels', 'Logins'],
      (await previewRoleReach(services.database.db, role)).map((r) => [r.host, html`<span class="mono">${r.address}</span>`, labelsText(r.labels), html`<span class="mono">${r.logins.join(', ') || 'no login'}</span>`]),
      'No enrolled host matches these labels.',
    )}`;

  app.get<{ Querystring: { done?: string } }>('/ui/roles', { preHandler: requirePage(services, 'audit') }, async (request, reply) => {
    const ui = request.ui!;
    const rows = (await roles.list()).map((r) => [
      html`<a href="/ui/roles/${encodeURIComponent(r.name)}">${r.name}</a>`,
      r.description,
      html`<span class="mono">${r.logins.join(', ')}</span>`,
      selectorText(r.hostLabels),
      formatDuration(r.maxTtl),
      r.capabilities.join(', '),
    ]);
    const body = html`${ui.can('admin') ? html`<p><a href="/ui/roles/new">New role</a></p>` : ''}
${table(['Name', 'Description', 'Logins', 'Host labels', 'Max TTL', 'Capabilities'], rows)}`;
    return sendPage(reply, page(ui, { title: 'Roles', section: 'roles', body, notice: notice(request.query) }));
  });

  app.get('/ui/roles/new', { preHandler: requirePage(services, 'admin') }, async (request, reply) => {
    const ui = request.ui!;
    const draft: RoleSpec = { name: '', description: '', logins: [], hostLabels: {}, maxTtl: 8 * 3600, permissions: { pty: true, portForwarding: false, agentForwarding: false, fileTransfer: true, x11: false }, capabilities: [] };
    return sendPage(reply, page(ui, { title: 'New role', section: 'roles', body: roleForm(ui, draft, true) }));
  });

  app.post('/ui/roles/preview', { preHandler: requirePage(services, 'admin') }, async (request, reply) => {
    const ui = request.ui!;
    const form = asForm(request.body);
    const isNew = field(form, 'new', 'new') === '1';
    const input = roleInput(form);
    const draft = parseRoleInput(input);
    const body = html`<p class="notice" role="status">Preview only: nothing is saved until you press Save.</p>${roleForm(ui, draft, isNew)}${await reachTable(input)}`;
    return sendPage(reply, page(ui, { title: isNew ? 'New role' : `Role ${draft.name}`, section: 'roles', body }));
  });

  app.post('/ui/roles', { preHandler: requirePage(services, 'admin') }, async (request, reply) => {
    const role = await roles.create(roleInput(asForm(request.body)), request.ui!.caller.actor);
    return seeOther(reply, `/ui/roles/${encodeURIComponent(role.name)}`, 'role-saved');
  });

  app.get<{ Params: { name: string }; Querystring: { done?: string } }>('/ui/roles/:name', { preHandler: requirePage(services, 'audit') }, async (request, reply) => {
    const ui = request.ui!;
    const role = await roles.get(request.params.name);
    const view = ui.can('admin')
      ? html`${roleForm(ui, role, false)}${postForm(ui, `/ui/roles/${encodeURIComponent(role.name)}/delete`, html`<button type="submit" class="danger">Delete role ${role.name}</button>`, { class: 'row-action' })}`
      : roleFacts(role);
    const body = html`${view}${await reachTable(role.name)}<p><a href="/ui/grants?role=${encodeURIComponent(role.name)}">Grants of this role</a></p>`;
    return sendPage(reply, page(ui, { title: `Role ${role.name}`, section: 'roles', body, notice: notice(request.query) }));
  });

  app.post<{ Params: { name: string } }>('/ui/roles/:name', { preHandler: requirePage(services, 'admin') }, async (request, reply) => {
    const { name: _ignored, ...change } = roleInput({ ...asForm(request.body), name: request.params.name });
    const role = await roles.update(request.params.name, change, request.ui!.caller.actor);
    return seeOther(reply, `/ui/roles/${encodeURIComponent(role.name)}`, 'role-saved');
  });

  app.post<{ Params: { name: string } }>('/ui/roles/:name/delete', { preHandler: requirePage(services, 'admin') }, async (request, reply) => {
    await roles.delete(request.params.name, request.ui!.caller.actor);
    return seeOther(reply, '/ui/roles', 'role-deleted');
  });
}

/** The role form's fields as the domain's input; the domain validates every value. */
function roleInput(form: Form): RoleInput {
  return {
    name: requiredField(form, 'name', 'name', 63),
    description: field(form, 'description', 'description', 500),
    logins: listField(form, 'logins', 'logins'),
    hostLabels: selectorField(form, 'hostLabels', 'host labels'),
    maxTtl: requiredField(form, 'maxTtl', 'max TTL', 20),
    permissions: Object.fromEntries(PERMISSION_NAMES.map((p) => [p, checkbox(form, `perm_${p}`)])),
    capabilities: CAPABILITIES.filter((c) => checkbox(form, `cap_${c}`)),
  };
}

function roleFacts(role: RoleSpec): Html {
  return html`<dl class="facts">
<dt>Description</dt><dd>${role.description}</dd>
<dt>Logins</dt><dd class="mono">${role.logins.join(', ')}</dd>
<dt>Host labels</dt><dd>${selectorText(role.hostLabels)}</dd>
<dt>Max TTL</dt><dd>${formatDuration(role.maxTtl)}</dd>
<dt>Permissions</dt><dd>${PERMISSION_NAMES.filter((p) => role.permissions[p]).map((p) => PERMISSION_LABELS[p]).join(', ')}</dd>
<dt>Capabilities</dt><dd>${role.capabilities.join(', ')}</dd>
</dl>`;
}

function roleForm(ui: UiContext, role: RoleSpec, isNew: boolean): Html {
  const action = isNew ? '/ui/roles' : `/ui/roles/${encodeURIComponent(role.name)}`;
  const checked = (on: boolean) => (on ? html` checked` : '');
  return postForm(
    ui,
    action,
    html`<input type="hidden" name="new" value="${isNew ? '1' : '0'}">
${isNew ? html`<label>Name <span class="hint">a-z, 0-9 and -</span><input type="text" name="name" value="${role.name}" required></label>` : html`<input type="hidden" name="name" value="${role.name}">`}
<label>Description <input type="text" name="description" value="${role.description}"></label>
<label>Logins <span class="hint">on the servers, separated by commas; {{email.local}} is the person's own login</span><input type="text" name="logins" value="${role.logins.join(', ')}"></label>
<label>Host labels <span class="hint">key=value|value, separated by commas; *=* is every host</span><input type="text" name="hostLabels" value="${selectorText(role.hostLabels)}"></label>
<label>Max TTL <span class="hint">the longest certificate, e.g. 8h</span><input type="text" name="maxTtl" value="${formatDuration(role.maxTtl)}" required></label>
<fieldset><legend>Permissions</legend>${PERMISSION_NAMES.map((p) => html`<label><input type="checkbox" name="perm_${p}"${checked(role.permissions[p])}> ${PERMISSION_LABELS[p]}</label>`)}</fieldset>
<fieldset><legend>Capabilities</legend>${CAPABILITIES.map((c) => html`<label><input type="checkbox" name="cap_${c}"${checked(role.capabilities.includes(c))}> ${c === 'admin' ? 'admin: change users, roles, grants and hosts' : 'audit: read everything, replay and export'}</label>`)}</fieldset>
<div class="actions"><button type="submit" formaction="/ui/roles/preview" class="secondary">Preview reach</button><button type="submit">Save</button></div>`,
    { class: 'stacked', label: isNew ? 'New role' : `Edit role ${role.name}` },
  );
}
