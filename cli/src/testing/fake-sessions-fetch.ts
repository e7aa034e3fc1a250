import type { Session } from '../api-types.ts';

export const SESSION_ID = 'ses_0123456789abcdef0123';

/** A shell session: a sudo password typed with echo off (redacted), then exit. */
export const SHELL_CAST = [
  '{"version":2,"width":40,"height":6,"timestamp":1893492000,"env":{"TERM":"xterm-256color"},"title":"alice@web-1 by alice@example.com"}',
  '[0.5,"o","\\u001b[1malice@web-1\\u001b[0m:~$ "]',
  '[1.5,"o","sudo id\\r\\n[sudo] password for alice: "]',
  '[4.5,"m","input redacted: 9 bytes typed with echo off"]',
  '[4.5,"i","\\r"]',
  '[4.6,"o","\\r\\nuid=0(root)\\r\\nalice@web-1:~$ "]',
  '[5,"r","60x20"]',
  '[15,"o","exit\\r\\n"]',
  '',
].join('\n');

export function sessionFixture(fields: Partial<Session> = {}): Session {
  return {
    id: SESSION_ID, connectionId: 'conn_1', user: { id: 'usr_a', email: 'alice@example.com' }, login: 'alice', host: 'web-1', hostAddress: '10.0.0.1:22',
    clientAddress: '203.0.113.7', kind: 'shell', command: null, term: 'xterm-256color', cols: 40, rows: 6, status: 'ended', startedAt: '2030-01-01T10:00:00.000Z',
    endedAt: '2030-01-01T10:00:15.000Z', exitStatus: 0, exitSignal: null, endReason: 'exit', bytesIn: 20, bytesOut: 200, recordedUntil: '2030-01-01T10:00:15.000Z', recordingTruncated: false,
    ...fields,
  };
}

export interface SeenRequest {
  method: string;
  url: URL;
  accept: string | undefined;
  authorization: string | undefined;
}

/**
 * A fetch answering `GET /v1/sessions/<id>` and `/recording` as the CA's contract says, for
 * SESSION_ID only (any other id is 404 ERR_UNKNOWN_SESSION); it keeps every request.
 */
export function recordingsFetch(options: { session?: Partial<Session>; cast?: string } = {}) {
  const seen: SeenRequest[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(String(input));
    const headers = (init?.headers ?? {}) as Record<string, string>;
    seen.push({ method: init?.method ?? 'GET', url, accept: headers['accept'], authorization: headers['authorization'] });
    const m = /^\/v1\/sessions\/([^/]+)(\/recording)?$/.exec(url.pathname);
    if (!m || m[1] !== SESSION_ID) {
      const body = { error: { code: 'ERR_UNKNOWN_SESSION', message: `no session ${decodeURIComponent(m?.[1] ?? '')}` } };
      return new Response(JSON.stringify(body), { status: 404, headers: { 'content-type': 'application/json' } });
    }
    if (m[2]) return new Response(options.cast ?? SHELL_CAST, { status: 200, headers: { 'content-type': 'application/x-asciicast' } });
    return new Response(JSON.stringify(sessionFixture(options.session)), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { fetch, seen };
}
