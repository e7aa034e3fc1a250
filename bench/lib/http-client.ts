import { Agent, request } from 'node:http';

export interface JsonPoster {
  /** POSTs the prepared body; resolves true when the status is `expect`. */
  post(timeoutMs: number): Promise<boolean>;
  /** One request whose parsed response is returned, to check the endpoint before loading it. */
  probe(): Promise<{ status: number; body: unknown }>;
  close(): void;
}

/**
 * A client for one endpoint and one body over keep-alive connections. The body is encoded
 * once, so the generator spends its time on sockets rather than on JSON.
 */
export function jsonPoster(url: string, headers: Record<string, string>, body: unknown, expect: number): JsonPoster {
  const agent = new Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 });
  const payload = Buffer.from(JSON.stringify(body));
  const target = new URL(url);
  const options = {
    agent,
    method: 'POST',
    host: target.hostname,
    port: target.port,
    path: target.pathname,
    headers: { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length) },
  };

  const send = (timeoutMs: number, keepBody: boolean) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      if (timeoutMs <= 0) return reject(new Error('timed out before it was sent'));
      const req = request(options, (res) => {
        const chunks: Buffer[] = [];
        if (keepBody) res.on('data', (chunk: Buffer) => chunks.push(chunk));
        else res.resume();
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      });
      const timer = setTimeout(() => req.destroy(new Error('timed out')), timeoutMs);
      req.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      req.end(payload);
    });

  return {
    post: async (timeoutMs) => (await send(timeoutMs, false)).status === expect,
    probe: async () => {
      const { status, text } = await send(10_000, true);
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: return the text as it is
      }
      return { status, body: parsed };
    },
    close: () => agent.destroy(),
  };
}

/** GETs one URL over keep-alive connections; resolves true when the status is `expect`. For a server's floor: the cost of any request at a rate. */
export function getter(url: string, expect: number): { get(timeoutMs: number): Promise<boolean>; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 });
  const get = (timeoutMs: number) =>
    new Promise<boolean>((resolve, reject) => {
      if (timeoutMs <= 0) return reject(new Error('timed out before it was sent'));
      const req = request(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => {
          clearTimeout(timer);
          resolve(res.statusCode === expect);
        });
        res.on('error', reject);
      });
      const timer = setTimeout(() => req.destroy(new Error('timed out')), timeoutMs);
      req.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      req.end();
    });
  return { get, close: () => agent.destroy() };
}
