import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the browser brought back to the loopback listener. */
export type CallbackOutcome = { ok: true; code: string } | { ok: false; error: string; message: string };

export interface Loopback {
  port: number;
  /** Resolves with the first callback for this login id; other requests are answered and ignored. */
  waitFor(loginId: string, signal: AbortSignal): Promise<CallbackOutcome>;
  close(): Promise<void>;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function callbackPage(title: string, text: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>access: ${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;line-height:1.5}</style></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>
`;
}

function answer(res: ServerResponse, status: number, title: string, text: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // The address bar holds a one-time code: no page this one links to may see it.
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    connection: 'close',
  });
  res.end(callbackPage(title, text));
}

/**
 * Listens on 127.0.0.1 at a port the system picks, for the browser's redirect at the end of
 * sign-in (`/callback?login=&code=` or `/callback?login=&error=&message=`).
 */
export async function startLoopback(): Promise<Loopback> {
  let expected: string | null = null;
  let settle: ((outcome: CallbackOutcome) => void) | null = null;
  let done = false;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== '/callback') return answer(res, 404, 'Not found', 'This is the access command line waiting for a sign-in; nothing else lives here.');
    if (done) return answer(res, 410, 'Already finished', 'This sign-in already finished; return to your terminal.');
    const login = url.searchParams.get('login');
    if (expected === null || login !== expected) {
      return answer(res, 400, 'Not this sign-in', 'This link is for a different sign-in than the one your terminal is waiting for. Run "access login" again.');
    }
    const code = url.searchParams.get('code');
    const error = url.searchParams.get('error');
    if (code) {
      done = true;
      answer(res, 200, 'Signed in', 'Signed in; you can close this window and return to your terminal.');
      return settle?.({ ok: true, code });
    }
    if (error) {
      done = true;
      const message = url.searchParams.get('message') ?? '';
      answer(res, 200, 'Sign-in did not work', `${message || 'The access server refused this sign-in.'} (${error})`);
      return settle?.({ ok: false, error, message });
    }
    return answer(res, 400, 'Incomplete', 'The sign-in link carries neither a code nor an error. Run "access login" again.');
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    waitFor(loginId, signal) {
      expected = loginId;
      return new Promise((resolve, reject) => {
        settle = resolve;
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
