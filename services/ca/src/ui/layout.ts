import { html, type Html, type HtmlValue } from './html.ts';
import type { UiContext, UiNeed } from './ui-context.ts';

/** Every UI response's headers: no inline script or style, nothing from elsewhere, no framing. */
export const UI_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'cache-control': 'no-store',
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

type Section = 'home' | 'sessions' | 'hosts' | 'roles' | 'grants' | 'users' | 'audit';

const NAV: readonly { section: Section; label: string; href: string; need: UiNeed }[] = [
  { section: 'home', label: 'My access', href: '/ui', need: 'user' },
  { section: 'sessions', label: 'Sessions', href: '/ui/sessions', need: 'user' },
  { section: 'hosts', label: 'Hosts', href: '/ui/hosts', need: 'audit' },
  { section: 'roles', label: 'Roles', href: '/ui/roles', need: 'audit' },
  { section: 'grants', label: 'Grants', href: '/ui/grants', need: 'audit' },
  { section: 'users', label: 'Users', href: '/ui/users', need: 'audit' },
  { section: 'audit', label: 'Audit log', href: '/ui/audit', need: 'audit' },
];

export interface PageOptions {
  title: string;
  section: Section;
  body: HtmlValue;
  /** Module scripts of this UI (paths under /ui/assets), e.g. the player. */
  scripts?: readonly string[];
  notice?: string | null;
}

/** The page shell: navigation for what this person may open, their name, and sign-out. */
export function page(ui: UiContext, options: PageOptions): Html {
  const who = ui.caller.actor.name ?? ui.caller.actor.id;
  const roles = ui.can('admin') ? 'admin' : ui.can('audit') ? 'auditor' : 'engineer';
  const nav = NAV.filter((item) => ui.can(item.need)).map(
    (item) => html`<a href="${item.href}"${item.section === options.section ? html` aria-current="page"` : ''}>${item.label}</a>`,
  );
  return shell(
    options.title,
    html`<header class="top">
<a class="brand" href="/ui">access</a>
<nav aria-label="Main">${nav}</nav>
<form class="signout" method="post" action="/ui/signout">
<span class="who" data-role="${roles}">${who} · ${roles}</span>
<input type="hidden" name="_csrf" value="${ui.csrf}">
<button type="submit">Sign out</button>
</form>
</header>
<main>
<h1>${options.title}</h1>
${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ''}
${options.body}
</main>`,
    options.scripts ?? [],
  );
}

/** A page for someone not signed in (or an error before the session is known). */
export function bare(title: string, body: HtmlValue): Html {
  return shell(title, html`<main class="bare"><h1>${title}</h1>${body}</main>`, []);
}

function shell(title: string, content: Html, scripts: readonly string[]): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · access</title>
<link rel="stylesheet" href="/ui/assets/ui.css">
${scripts.map((src) => html`<script type="module" src="/ui/assets/${src}"></script>`)}
</head>
<body>
${content}
</body>
</html>
`;
}

/** Fixed messages shown after a change; the query names one, so a link cannot put words on the page. */
export const NOTICES: Readonly<Record<string, string>> = {
  'role-saved': 'The role is saved.',
  'role-deleted': 'The role is deleted.',
  'grant-added': 'The grant is added; it applies from the person\u2019s next "access login".',
  'grant-revoked': 'The grant is revoked; the next certificate no longer carries it.',
  'host-saved': 'The host is saved.',
  'host-deleted': 'The host is deleted.',
  'user-locked': 'The person is locked: no new certificates, their live sessions end.',
  'user-unlocked': 'The person is unlocked; they sign in again to get a certificate.',
  'session-terminated': 'The session is being ended.',
};

export function notice(query: unknown): string | null {
  const key = (query as Record<string, unknown> | undefined)?.['done'];
  return typeof key === 'string' ? (NOTICES[key] ?? null) : null;
}

/** A small table: headers, then rows of cells (already Html or text). */
export function table(headers: readonly string[], rows: readonly (readonly HtmlValue[])[], empty = 'Nothing here yet.'): Html {
  if (rows.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`<table>
<thead><tr>${headers.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
<tbody>${rows.map((row) => html`<tr>${row.map((cell) => html`<td>${cell}</td>`)}</tr>`)}</tbody>
</table>`;
}

/** A POST form with the session's CSRF token; `fields` are its inputs and buttons. */
export function postForm(ui: UiContext, action: string, fields: HtmlValue, attributes: { class?: string; label?: string } = {}): Html {
  return html`<form method="post" action="${action}"${attributes.class ? html` class="${attributes.class}"` : ''}${attributes.label ? html` aria-label="${attributes.label}"` : ''}>
<input type="hidden" name="_csrf" value="${ui.csrf}">
${fields}
</form>`;
}

export const when = (date: Date | null | undefined): string => (date ? date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '');

export const labelsText = (labels: Record<string, string | readonly string[]>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : v}`)
    .join(', ');
