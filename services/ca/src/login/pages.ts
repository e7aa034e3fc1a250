import type { DeviceView } from './device-approval.ts';

/**
 * The few HTML pages of a login, rendered on the server: every value escaped, no script,
 * nothing loaded from elsewhere, and a CSP (see PAGE_HEADERS) that would block either.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} - access</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}dt{font-weight:600}code{font-size:1.05em}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

export function renderMessagePage(title: string, message: string, code?: string): string {
  const codeLine = code ? `<p>Error code: <code>${escapeHtml(code)}</code></p>\n` : '';
  return page(title, `<p role="alert">${escapeHtml(message)}</p>\n${codeLine}`);
}

/** After sign-in: who asks, from where, with which key, for what; and the one button. */
export function renderApprovePage(view: DeviceView, csrfToken: string): string {
  const principals = view.principals.length ? view.principals.map((p) => `<code>${escapeHtml(p)}</code>`).join(', ') : 'none (API access only)';
  return page(
    'Approve this login?',
    `<p>A terminal asked to sign in as <strong>${escapeHtml(view.email)}</strong> with code <code>${escapeHtml(view.userCode)}</code>.
Approve only if you started it yourself, just now, and the details below are that terminal's.</p>
<dl>
<dt>Requesting address</dt><dd><code>${escapeHtml(view.requesterIp)}</code></dd>
<dt>Key fingerprint</dt><dd><code>${escapeHtml(view.keyFingerprint)}</code> (${escapeHtml(view.keyType)})</dd>
<dt>SSH logins it will get</dt><dd>${principals}</dd>
<dt>Roles</dt><dd>${escapeHtml(view.roles.join(', ') || 'none')}</dd>
<dt>Expires</dt><dd>${escapeHtml(view.expiresAt.toISOString())}</dd>
</dl>
<form method="post" action="/device/approve">
<input type="hidden" name="code" value="${escapeHtml(view.userCode)}">
<input type="hidden" name="csrf" value="${escapeHtml(csrfToken)}">
<p><button type="submit" name="approve" value="1">Approve</button></p>
</form>
<p>If you did not start this login, close this page: nothing happens without your approval.</p>
`,
  );
}

/** `/device` without a code: where to type the one the terminal shows. */
export function renderCodeEntryPage(): string {
  return page(
    'Sign in a terminal',
    `<p>Enter the code that <code>access login --headless</code> printed, or open the link it printed.</p>
<form method="get" action="/device">
<p><label for="code">Code</label><br>
<input id="code" name="code" type="text" autocomplete="off" required placeholder="XXXX-XXXX"></p>
<input type="hidden" name="typed" value="1">
<p><button type="submit">Continue</button></p>
</form>
`,
  );
}

/** A typed code that names a login: the sign-in is a link, not a redirect, because `form-action 'self'` would stop the redirect to the IdP. */
export function renderContinuePage(url: string): string {
  return page('Sign in', `<p>The code is right. <a href="${escapeHtml(url)}">Continue to sign in</a> at your identity provider.</p>\n`);
}
