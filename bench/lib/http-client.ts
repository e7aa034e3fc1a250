import { Agent, request, type RequestOptions } from 'node:http';

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
  const options = {
    ...urlOptions(url),
    agent,
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length) },
  };

  const send = (timeoutMs: number, keepBody: boolean) => sendOnce(options, payload, timeoutMs, keepBody);

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
  return {
    get: async (timeoutMs) => (await sendOnce({ ...urlOptions(url), agent }, undefined, timeoutMs, false)).status === expect,
    close: () => agent.destroy(),
  };
}

function urlOptions(url: string): RequestOptions {
  const target = new URL(url);
  return { host: target.hostname, port: target.port, path: target.pathname };
}

/** One request, given up after `timeoutMs`; the response body is kept only when asked for. */
function sendOnce(options: RequestOptions, payload: Buffer | undefined, timeoutMs: number, keepBody: boolean): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
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
}
