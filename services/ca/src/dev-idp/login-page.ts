import type { ServerResponse } from 'node:http';
import { DEMO_USERS } from './demo-users.ts';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Every value that reaches the page goes through here: request parameters are attacker-controlled. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

export interface LoginPageModel {
  /** Where the form posts: `/interaction/<uid>/login`. */
  action: string;
  clientId: string;
  /** Pre-filled so a mistyped password does not also lose the email. */
  login?: string | undefined;
  error?: string | undefined;
}

/** The sign-in form: labelled fields, no script, nothing loaded from elsewhere. */
export function renderLoginPage(model: LoginPageModel): string {
  const error = model.error ? `<p role="alert" id="error">${escapeHtml(model.error)}</p>\n` : '';
  const users = DEMO_USERS.map((u) => `<li><code>${escapeHtml(u.email)}</code> (${escapeHtml(u.groups.join(', '))})</li>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in - access development identity provider</title>
</head>
<body>
<main>
<h1>Sign in</h1>
<p>Development identity provider for <code>${escapeHtml(model.clientId)}</code>. Not for production use.</p>
${error}<form method="post" action="${escapeHtml(model.action)}" autocomplete="off">
<p><label for="login">Email</label><br>
<input id="login" name="login" type="text" autocomplete="username" required autofocus value="${escapeHtml(model.login ?? '')}"${model.error ? ' aria-describedby="error"' : ''}></p>
<p><label for="password">Password</label><br>
<input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p>
</form>
<details><summary>Demo users</summary><ul>${users}</ul><p>The password was printed when the server started.</p></details>
</main>
</body>
</html>
`;
}

export function renderMessagePage(title: string, message: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></main></body>
</html>
`;
}

/** No caching, no framing, no scripts or other resources: the page is a form and nothing else. */
export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  });
  res.end(html);
}
