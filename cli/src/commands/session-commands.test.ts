import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCast } from '@access/recording';
import type { Session } from '../api-types.ts';
import { access, makeHome, testIo } from '../testing/test-io.ts';
import { recordingsFetch, SESSION_ID } from '../testing/fake-sessions-fetch.ts';

const EXEC: Partial<Session> = { kind: 'exec', command: 'df -h', term: null, cols: null, rows: null, exitStatus: 1 };
const EXEC_CAST = [
  '{"version":2,"width":80,"height":24,"timestamp":1893492000,"env":{"TERM":"xterm"},"title":"deploy@db-1 by alice@example.com"}',
  '[0.1,"o","Filesystem  Use%\\n"]',
  '[0.2,"e","df: /mnt/nfs: Stale file handle\\n"]',
  '',
].join('\n');

describe('access sessions export', () => {
  let home: string;
  beforeEach(() => (home = makeHome()));
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  async function run(args: string[], fake = recordingsFetch()) {
    const io = testIo(home, { env: { ACCESS_TOKEN: 'acu_auditor', ACCESS_SERVER: 'https://ca.example' } });
    io.fetch = fake.fetch;
    const code = await access(io, args);
    return { code, out: io.out(), err: io.err(), seen: fake.seen };
  }

  it('writes standard asciicast to stdout: stderr merged into output, the session\'s metadata in the header', async () => {
    const r = await run(['sessions', 'export', SESSION_ID, '--format', 'cast'], recordingsFetch({ session: EXEC, cast: EXEC_CAST }));
    expect(r).toMatchObject({ code: 0, err: '' });
    const cast = parseCast(r.out);
    expect(cast.header).toMatchObject({ title: 'deploy@db-1 by alice@example.com', command: 'df -h', timestamp: 1893492000 });
    expect(cast.events).toEqual([[0.1, 'o', 'Filesystem  Use%\n'], [0.2, 'o', 'df: /mnt/nfs: Stale file handle\n']]);
    expect(r.seen.map((s) => `${s.accept} ${s.url.pathname} ${s.authorization}`).sort()).toEqual([
      'application/json /v1/sessions/ses_0123456789abcdef0123 Bearer acu_auditor',
      'application/x-asciicast /v1/sessions/ses_0123456789abcdef0123/recording Bearer acu_auditor',
    ]);
  });

  it('writes text to --output, 0600, with the session described and the redaction shown', async () => {
    const file = join(home, 'ses.txt');
    const r = await run(['sessions', 'export', SESSION_ID, '--format', 'text', '--output', file]);
    expect(r).toMatchObject({ code: 0, out: '' });
    expect(r.err).toMatch(new RegExp(`^wrote ${SESSION_ID} as text to ${file} \\(\\d+ bytes\\)\\n$`));
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^Session: +ses_0123456789abcdef0123 \(connection conn_1\)\nUser: +alice@example.com \(usr_a\)\nTarget: +alice@web-1 \(10.0.0.1:22\)\n/);
    expect(text.split(`${'='.repeat(72)}\n`)[1]).toBe('alice@web-1:~$ sudo id\n[sudo] password for alice:\n[input redacted: 9 bytes]\nuid=0(root)\nalice@web-1:~$ exit\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('writes JSON with the session, the header and the events as recorded', async () => {
    const r = await run(['sessions', 'export', SESSION_ID, '--format', 'json'], recordingsFetch({ session: EXEC, cast: EXEC_CAST }));
    const json = JSON.parse(r.out) as { session: Session; events: unknown[] };
    expect(json.session).toMatchObject({ id: SESSION_ID, kind: 'exec' });
    expect(json.events[1]).toEqual([0.2, 'e', 'df: /mnt/nfs: Stale file handle\n']);
  });

  it('warns that a live session\'s export stops at what was recorded, and a truncated one misses the rest', async () => {
    const live = await run(['sessions', 'export', SESSION_ID, '--format', 'cast'], recordingsFetch({ session: { status: 'live', endedAt: null, exitStatus: null, recordedUntil: '2030-01-01T10:01:00.000Z' } }));
    expect(live.err).toBe(`${SESSION_ID} is still live: this holds what was recorded until 2030-01-01T10:01:00.000Z.\n`);
    const cut = await run(['sessions', 'export', SESSION_ID, '--format', 'cast'], recordingsFetch({ session: { recordingTruncated: true, recordedUntil: '2030-01-01T10:00:03.000Z' } }));
    expect(cut.err).toMatch(/^The gateway stopped recording ses_0123456789abcdef0123 before it ended \(at 2030-01-01T10:00:03.000Z\): later output is missing\.\n$/);
  });

  it('says how to find session ids when the server knows no such session', async () => {
    const r = await run(['sessions', 'export', 'ses_ffffffffffffffffffff', '--format', 'text']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('error: no session ses_ffffffffffffffffffff (ERR_UNKNOWN_SESSION, HTTP 404)\n"access sessions ls" lists sessions with their ids (your own, or everyone\'s with the audit capability).\n');
  });

  it('refuses what is not a session id without asking the server', async () => {
    const r = await run(['sessions', 'export', 'web-1', '--format', 'text']);
    expect(r).toMatchObject({ code: 1, seen: [] });
    expect(r.err).toBe('error: "web-1" is not a session id: one looks like ses_ and 20 hex digits; "access sessions ls" lists sessions with their ids\n');
  });

  it('needs --format, one of cast, text and json', async () => {
    expect((await run(['sessions', 'export', SESSION_ID])).err).toMatch(/required option '--format <format>' not specified/);
    expect((await run(['sessions', 'export', SESSION_ID, '--format', 'html'])).err).toMatch(/argument 'html' is invalid\. Allowed choices are cast, text, json/);
  });

  it('says the recording is unreadable, naming the line, when the server sends something else', async () => {
    const r = await run(['sessions', 'export', SESSION_ID, '--format', 'cast'], recordingsFetch({ cast: '{"version":2,"width":80,"height":24}\n[1,"o"\n' }));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: the server sent a recording of ses_0123456789abcdef0123 that is not asciicast v2 \(line 2: the event is not JSON: .*\); try again/);
  });

  it('says so when --output cannot be written', async () => {
    const r = await run(['sessions', 'export', SESSION_ID, '--format', 'cast', '--output', join(home, 'no', 'such', 'dir', 'x.cast')]);
    expect(r.err).toMatch(/^error: cannot write .*x\.cast: ENOENT; check the directory exists/);
  });

  it('prints --help for the group and its commands', async () => {
    for (const command of [['sessions'], ['sessions', 'export'], ['play']]) {
      const r = await run([...command, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^Usage: access ${command.join(' ')}`));
    }
  });
});
