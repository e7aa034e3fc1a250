import { rmSync } from 'node:fs';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Session, User } from '../api-types.ts';
import { access, makeHome, testIo, type TestIo } from '../testing/test-io.ts';
import { pointInTime, registerSessionsLs } from './sessions-ls-command.ts';

/** A fetch that answers from a handler and keeps every request it saw. */
function fakeFetch(handle: (method: string, url: URL, body: unknown) => { status: number; body?: unknown }) {
  const seen: Array<{ method: string; url: URL; body: unknown; authorization: string | undefined }> = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    seen.push({ method, url, body, authorization: (init?.headers as Record<string, string> | undefined)?.['authorization'] });
    const answer = handle(method, url, body);
    return new Response(answer.body === undefined ? '' : JSON.stringify(answer.body), { status: answer.status, headers: { 'content-type': 'application/json' } });
  };
  return { fetch, seen };
}

const NOW = new Date('2030-01-01T12:00:00Z');

function session(fields: Partial<Session>): Session {
  return {
    id: 'ses_00000000000000000001', connectionId: 'conn_1', user: { id: 'usr_a', email: 'alice@example.com' }, login: 'alice', host: 'web-1', hostAddress: '10.0.0.1:22',
    clientAddress: null, kind: 'shell', command: null, term: 'xterm', cols: 80, rows: 24, status: 'ended', startedAt: '2030-01-01T10:00:00.000Z',
    endedAt: '2030-01-01T11:30:05.000Z', exitStatus: 0, exitSignal: null, endReason: 'exit', bytesIn: 1, bytesOut: 2, recordedUntil: null, recordingTruncated: false,
    ...fields,
  };
}

function user(fields: Partial<User>): User {
  return { id: 'usr_a', email: 'alice@example.com', emailVerified: true, displayName: null, groups: [], login: null, createdAt: null, lastLoginAt: null, lockedAt: null, lockReason: null, ...fields };
}

describe('access sessions ls', () => {
  let home: string;
  beforeEach(() => (home = makeHome()));
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  /** `access sessions ls …` on a program holding just that command (the group itself lives in session-commands.ts). */
  async function ls(args: string[], sessions: Session[]) {
    const io: TestIo = testIo(home, { env: { ACCESS_TOKEN: 'acu_auditor', ACCESS_SERVER: 'https://ca.example' } });
    const fake = fakeFetch(() => ({ status: 200, body: { sessions } }));
    io.fetch = fake.fetch;
    io.now = () => NOW;
    const program = new Command('access').exitOverride();
    registerSessionsLs(program.command('sessions'), io);
    await program.parseAsync(['sessions', 'ls', ...args], { from: 'user' });
    return { out: io.out(), query: Object.fromEntries(fake.seen[0]?.url.searchParams ?? []), seen: fake.seen };
  }

  it('shows id, person, login@host, kind, start, duration, status and exit as a table', async () => {
    const { out, seen } = await ls([], [
      session({ id: 'ses_00000000000000000002', status: 'live', kind: 'exec', login: 'deploy', host: 'db-1', startedAt: '2030-01-01T11:58:00.000Z', endedAt: null, exitStatus: null }),
      session({}),
      session({ id: 'ses_00000000000000000003', status: 'interrupted', endedAt: null, exitStatus: null, recordedUntil: '2030-01-01T10:00:42.000Z' }),
      session({ id: 'ses_00000000000000000004', exitStatus: null, exitSignal: 'KILL' }),
    ]);
    expect(out).toBe([
      'ID                        USER               LOGIN@HOST   KIND   STARTED               DURATION  STATUS       EXIT',
      'ses_00000000000000000002  alice@example.com  deploy@db-1  exec   2030-01-01T11:58:00Z  2m        live         -',
      'ses_00000000000000000001  alice@example.com  alice@web-1  shell  2030-01-01T10:00:00Z  1h30m     ended        0',
      'ses_00000000000000000003  alice@example.com  alice@web-1  shell  2030-01-01T10:00:00Z  42s       interrupted  -',
      'ses_00000000000000000004  alice@example.com  alice@web-1  shell  2030-01-01T10:00:00Z  1h30m     ended        SIGKILL',
      '',
    ].join('\n'));
    expect(seen[0]).toMatchObject({ method: 'GET', authorization: 'Bearer acu_auditor' });
    expect(seen[0]!.url.toString()).toBe('https://ca.example/v1/sessions');
  });

  it('passes the filters on, with --since 2h as a time two hours ago', async () => {
    const { query } = await ls(['--user', 'bob@example.com', '--host', 'db-1', '--since', '2h', '--until', '2030-01-01T11:00:00Z', '--live', '--limit', '5'], []);
    expect(query).toEqual({ user: 'bob@example.com', host: 'db-1', since: '2030-01-01T10:00:00.000Z', until: '2030-01-01T11:00:00.000Z', live: 'true', limit: '5' });
  });

  it('prints JSON with --json', async () => {
    const sessions = [session({})];
    expect(JSON.parse((await ls(['--json'], sessions)).out)).toEqual(sessions);
  });

  it('refuses a bad --since or --limit before asking the server', async () => {
    await expect(ls(['--since', 'yesterday'], [])).rejects.toThrow(/--since takes a duration ago such as 2h or 3d, or a time/);
    await expect(ls(['--limit', '0'], [])).rejects.toThrow(/--limit takes a whole number from 1 to 1000/);
    await expect(ls(['--limit', '1001'], [])).rejects.toThrow(/--limit/);
  });

  it('reads times without a zone, and bare dates, as local time', () => {
    expect(pointInTime('3d', NOW, '--since')).toBe('2029-12-29T12:00:00.000Z');
    expect(pointInTime('2030-01-31T09:00:00Z', NOW, '--since')).toBe('2030-01-31T09:00:00.000Z');
    expect(pointInTime('2030-01-31T09:00', NOW, '--since')).toBe(new Date(2030, 0, 31, 9, 0).toISOString());
    expect(pointInTime('2030-01-31', NOW, '--since')).toBe(new Date(2030, 0, 31).toISOString());
    expect(() => pointInTime('2030-13-45T00:00', NOW, '--until')).toThrow(/--until takes/);
  });
});

describe('access lock and unlock', () => {
  let home: string;
  beforeEach(() => (home = makeHome()));
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const people = [user({}), user({ id: 'usr_b', email: 'bob@example.com' })];

  async function run(args: string[], status = 200) {
    const io = testIo(home, { env: { ACCESS_TOKEN: 'acc_admin', ACCESS_SERVER: 'https://ca.example' } });
    const fake = fakeFetch((method, url, body) => {
      if (method === 'GET' && url.pathname === '/v1/users') return { status: 200, body: people };
      const m = /^\/v1\/users\/([^/]+)\/(lock|unlock)$/.exec(url.pathname);
      if (status !== 200) return { status, body: { error: { code: 'ERR_FORBIDDEN', message: 'you may not do that: it needs the admin capability' } } };
      const reason = (body as { reason?: string }).reason ?? null;
      const locked = m![2] === 'lock';
      return { status: 200, body: { ...people.find((p) => p.id === m![1]), lockedAt: locked ? NOW.toISOString() : null, lockReason: locked ? reason : null } };
    });
    io.fetch = fake.fetch;
    const code = await access(io, args);
    return { code, out: io.out(), err: io.err(), calls: fake.seen.map((r) => `${r.method} ${r.url.pathname}${r.body === undefined ? '' : ` ${JSON.stringify(r.body)}`}`) };
  }

  it('finds the person by email (any case) and locks them by id, with the reason', async () => {
    const r = await run(['lock', '--user', 'Bob@Example.com', '--reason', 'laptop stolen']);
    expect(r).toMatchObject({ code: 0, err: '', out: 'locked bob@example.com (usr_b): laptop stolen\n' });
    expect(r.calls).toEqual(['GET /v1/users', 'POST /v1/users/usr_b/lock {"reason":"laptop stolen"}']);
  });

  it('gives a lock without --reason a reason that says none was given', async () => {
    const r = await run(['lock', '--user', 'alice@example.com', '--json']);
    expect(r.calls[1]).toBe('POST /v1/users/usr_a/lock {"reason":"no reason given (locked with \\"access lock\\")"}');
    expect(JSON.parse(r.out)).toMatchObject([{ id: 'usr_a', lockedAt: NOW.toISOString() }]);
  });

  it('unlocks by email', async () => {
    const r = await run(['unlock', '--user', 'alice@example.com']);
    expect(r).toMatchObject({ code: 0, out: 'unlocked alice@example.com (usr_a); they sign in again with "access login"\n' });
    expect(r.calls).toEqual(['GET /v1/users', 'POST /v1/users/usr_a/unlock {}']);
  });

  it('says so when no one has that email, and locks no one', async () => {
    const r = await run(['lock', '--user', 'carol@example.com']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('error: no one with the email carol@example.com has signed in to this server, so there is no one to lock or unlock ("access login" creates a person)\n');
    expect(r.calls).toEqual(['GET /v1/users']);
  });

  it('passes on the server refusing, and needs --user', async () => {
    const r = await run(['lock', '--user', 'alice@example.com'], 403);
    expect(r.err).toMatch(/needs the admin capability \(ERR_FORBIDDEN, HTTP 403\)\nYour roles do not allow this/);
    expect((await run(['unlock'])).err).toMatch(/required option '--user <email>' not specified/);
  });

  it('prints --help for lock and unlock', async () => {
    for (const command of ['lock', 'unlock']) expect((await run([command, '--help'])).out).toMatch(new RegExp(`^Usage: access ${command} \\[options\\]`));
  });
});
