import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { access, makeHome, testIo } from '../testing/test-io.ts';

const ID = 'ses_0123456789abcdef0123';
const LIVE = {
  id: ID, connectionId: 'con_1', user: { id: 'usr_b', email: 'bob@example.com' }, login: 'deploy', host: 'db-1', hostAddress: '10.0.0.2:22', clientAddress: null,
  kind: 'shell', command: null, term: 'xterm', cols: 80, rows: 24, status: 'live', startedAt: '2030-01-01T10:00:00.000Z', endedAt: null, exitStatus: null,
  exitSignal: null, endReason: null, bytesIn: 1, bytesOut: 2, recordedUntil: null, recordingTruncated: false,
};

describe('access sessions terminate, and ls with the new filters', () => {
  let home: string;
  beforeEach(() => (home = makeHome()));
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  async function run(args: string[], answer: { status: number; body: unknown } = { status: 202, body: LIVE }) {
    const seen: string[] = [];
    const io = testIo(home, { env: { ACCESS_TOKEN: 'acc_admin', ACCESS_SERVER: 'https://ca.example' } });
    io.fetch = async (input, init) => {
      const url = new URL(String(input));
      seen.push(`${init?.method ?? 'GET'} ${url.pathname}${url.search}${typeof init?.body === 'string' ? ` ${init.body}` : ''}`);
      return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { 'content-type': 'application/json' } });
    };
    const code = await access(io, args);
    return { code, out: io.out(), err: io.err(), seen };
  }

  it('asks the server to end a live session, with the reason, and says what happens next', async () => {
    const r = await run(['sessions', 'terminate', ID, '--reason', ' incident 42 ']);
    expect(r).toMatchObject({ code: 0, out: '' });
    expect(r.seen).toEqual([`POST /v1/sessions/${ID}/terminate {"reason":"incident 42"}`]);
    expect(r.err).toBe(`asked the gateway to end ${ID} (bob@example.com: deploy@db-1); it ends within a second: "access sessions ls --user bob@example.com" shows it ended\n`);
    expect((await run(['sessions', 'terminate', ID])).seen).toEqual([`POST /v1/sessions/${ID}/terminate {}`]);
    expect(JSON.parse((await run(['sessions', 'terminate', ID, '--json'])).out)).toEqual(LIVE);
  });

  it('passes on a session that is not live, and refuses a malformed id without asking', async () => {
    const ended = await run(['sessions', 'terminate', ID], { status: 409, body: { error: { code: 'ERR_SESSION_NOT_LIVE', message: `session ${ID} is not live: it ended` } } });
    expect([ended.code, ended.err]).toEqual([1, `error: session ${ID} is not live: it ended (ERR_SESSION_NOT_LIVE, HTTP 409)\n`]);
    const bad = await run(['sessions', 'terminate', 'web-1']);
    expect([bad.code, bad.seen]).toEqual([1, []]);
    expect(bad.err).toMatch(/"web-1" is not a session id/);
  });

  it('lists by login, status and words in the transcript', async () => {
    const r = await run(['sessions', 'ls', '--login', 'deploy', '--status', 'ended', '--grep', 'nginx -staging', '--json'], { status: 200, body: { sessions: [] } });
    expect(r.seen).toEqual(['GET /v1/sessions?login=deploy&status=ended&text=nginx+-staging']);
    expect((await run(['sessions', 'ls', '--status', 'gone'])).err).toMatch(/argument 'gone' is invalid\. Allowed choices are live, ended, interrupted/);
  });
});
