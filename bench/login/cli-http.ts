import { request } from 'node:http';

export interface JsonAnswer {
  status: number;
  body: unknown;
}

/**
 * The CA lets one client address start 20 logins a minute (services/ca/src/login/start-limiter.ts).
 * Hundreds of logins a minute from one address would measure that limiter and nothing else,
 * so emulated CLI number `index` speaks from its own loopback address, 127.1.x.y (Linux
 * routes all of 127.0.0.0/8 to `lo`), as people on many machines would.
 */
export function sourceAddress(index: number): string {
  const host = index % 62_500;
  return `127.1.${Math.floor(host / 250)}.${(host % 250) + 1}`;
}

/**
 * POSTs JSON the way one `access` process does: a fresh connection, no pooled sockets,
 * from `localAddress`. Resolves with the parsed answer whatever its status.
 */
export function postJson(url: string, body: unknown, options: { localAddress: string; timeoutMs: number }): Promise<JsonAnswer> {
  const payload = Buffer.from(JSON.stringify(body));
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent: false,
        method: 'POST',
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        localAddress: options.localAddress,
        headers: { 'content-type': 'application/json', 'content-length': String(payload.length) },
        timeout: options.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: keep the text for the error message
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${target.pathname} within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** `fetch` with a time limit on every request, for the plain-HTTP browser. */
export function fetchWithin(timeoutMs: number): typeof fetch {
  return (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}
