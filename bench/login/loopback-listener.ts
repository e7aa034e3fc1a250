import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The emulated CLI's listener on 127.0.0.1 for the browser's redirect at the end of sign-in. */
export interface LoopbackListener {
  port: number;
  /** Resolves with the one-time code of the first `/callback` for `loginId`; rejects on `error=` or after `timeoutMs`. */
  code(loginId: string, timeoutMs: number): Promise<string>;
  close(): Promise<void>;
}

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', connection: 'close' });
  res.end(`<!doctype html><title>access</title><p>${text}</p>\n`);
}

/** Listens on a port the system picks, as `access login` does, before the login is started. */
export async function listenOnLoopback(): Promise<LoopbackListener> {
  let arrived: (params: URLSearchParams) => void = () => undefined;
  const callback = new Promise<URLSearchParams>((resolve) => (arrived = resolve));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== '/callback') return answer(res, 404, 'not found');
    answer(res, 200, url.searchParams.has('code') ? 'Signed in; return to your terminal.' : 'Sign-in failed.');
    arrived(url.searchParams);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });

  return {
    port: (server.address() as AddressInfo).port,
    async code(loginId, timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no callback on the loopback listener within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        const params = await Promise.race([callback, timeout]);
        if (params.get('login') !== loginId) throw new Error(`the callback names login ${params.get('login')}, not ${loginId}`);
        const code = params.get('code');
        if (!code) throw new Error(`the CA refused the login: ${params.get('error')}: ${params.get('message')}`);
        return code;
      } finally {
        clearTimeout(timer);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
