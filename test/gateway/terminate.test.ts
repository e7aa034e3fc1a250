import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@access/db';
import { eventually, recordingOf } from '../support/gateway-records.ts';
import { startGatewayStack, type Engineer, type GatewayStack } from '../support/gateway-stack.ts';
import { boundedCommand, sleep, stopChild } from '../support/process.ts';
import { SSH } from '../support/ssh-client.ts';
import { startTmuxTerminal, type TmuxTerminal } from '../support/tmux-terminal.ts';

/** dash, the login's shell, prompts with `$ `; trimmed, the last row is `$`. */
const atPrompt = (screen: string[]) => screen.filter((l) => l !== '').at(-1) === '$';

/**
 * The Sessions page's server side against the real stack: a person at a real terminal,
 * followed live through the API, terminated by an admin, then found by what was printed.
 */
describe('an admin ends a live session', () => {
  let stack: GatewayStack;
  let tina: Engineer;
  let adminToken: string;
  const terminals: TmuxTerminal[] = [];

  const db = () => stack.server.services.database.db;
  const api = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    stack.server.app.inject({ method, url, headers: { authorization: `Bearer ${adminToken}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
  const auditOf = async (sessionId: string) =>
    (await db().selectFrom('audit_events').select(['type', 'actor', 'details']).where('type', 'like', 'session.%').orderBy('seq').execute())
      .map((r) => ({ type: r.type, actor: r.actor as Record<string, unknown>, details: r.details as Record<string, unknown> }))
      .filter((r) => r.details['sessionId'] === sessionId);

  beforeAll(async () => {
    stack = await startGatewayStack();
    await stack.addTarget('web-1');
    tina = await stack.addEngineer('tina.term@example.com', ['gwterm']);
    ({ token: adminToken } = await stack.server.services.tokens.create({ role: 'admin', description: 'terminate test' }, { kind: 'cli', id: 'test' }));
  }, 60_000);
  afterAll(async () => {
    for (const t of terminals) await t.stop();
    await stack?.stop();
  });

  it('follows the session within seconds, ends the connection within two with the reason, and records it once', { timeout: 60_000 }, async () => {
    const tty = await startTmuxTerminal([SSH, '-F', tina.sshConfig, '-tt', 'gwterm@web-1'], { cols: 100, rows: 30 });
    terminals.push(tty);
    await tty.waitForScreen('the shell prompt', atPrompt, 15_000);
    const row = await eventually(
      () => db().selectFrom('sessions').selectAll().where('user_id', '=', tina.userId).where('status', '=', 'live').executeTakeFirst(),
      'the live session',
    );

    // A live view: the whole recording once, then only what was flushed since.
    const first = await api('GET', `/v1/sessions/${row.id}/recording`);
    expect(first.headers['x-access-session-status']).toBe('live');
    let seq = Number(first.headers['x-access-chunk-seq']);
    await tty.type('echo flamingo-$((6*7))');
    await tty.press('Enter');
    const typedAt = Date.now();
    let followed = '';
    while (!followed.includes('flamingo-42\\r\\n') && Date.now() - typedAt < 5000) {
      await sleep(250);
      const poll = await api('GET', `/v1/sessions/${row.id}/recording?after=${seq}`);
      followed += poll.body;
      seq = Number(poll.headers['x-access-chunk-seq']);
    }
    expect(followed).toContain('flamingo-42\\r\\n');
    // Chunks are flushed every second: the output shows within two.
    expect(Date.now() - typedAt).toBeLessThan(2500);
    expect(followed.startsWith('{')).toBe(false);
    await tty.waitForScreen('the output', (s) => s.includes('flamingo-42') && atPrompt(s));

    const terminatedAt = Date.now();
    const response = await api('POST', `/v1/sessions/${row.id}/terminate`, { reason: 'incident 42' });
    expect([response.statusCode, response.json().status]).toEqual([202, 'live']);
    expect(await tty.waitForExit(5000)).toBe(255);
    expect(Date.now() - terminatedAt).toBeLessThan(2000);
    expect((await tty.screen()).join('\n')).toContain('access: an admin terminated this session: incident 42');

    const ended = await eventually(async () => {
      const r = await db().selectFrom('sessions').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
      return r.status === 'ended' ? r : undefined;
    }, 'the session to end');
    expect(ended.end_reason).toBe('an admin terminated this session: incident 42');
    expect((await recordingOf(db(), row.id)).filter((e) => e[1] === 'm').map((e) => e[2])).toEqual(['ended by the gateway: an admin terminated this session: incident 42']);

    // One read for the whole live view (its polls are not new reads), one terminate, one end.
    const audit = await auditOf(row.id);
    expect(audit.map((a) => a.type)).toEqual(['session.start', 'session.recording.read', 'session.terminated', 'session.end']);
    expect(audit[2]).toMatchObject({ actor: { kind: 'token' }, details: { user: 'tina.term@example.com', login: 'gwterm', host: 'web-1', reason: 'incident 42' } });
    expect(audit[3]!.details).toMatchObject({ reason: 'an admin terminated this session: incident 42' });

    // Ended, it is transcribed by the gateway, and found by what it printed.
    await stack.server.gateway!.transcriptsIdle();
    const found = await eventually(async () => {
      const list = (await api('GET', '/v1/sessions?text=flamingo-42')).json().sessions as Array<{ id: string }>;
      return list.length > 0 ? list : undefined;
    }, 'the transcript');
    expect(found.map((s) => s.id)).toEqual([row.id]);
    expect((await api('GET', '/v1/sessions?text=pelican')).json().sessions).toEqual([]);
    const transcript = (await api('GET', `/v1/sessions/${row.id}/transcript`)).body;
    expect(transcript).toMatch(/\$ echo flamingo-\$\(\(6\*7\)\)\nflamingo-42\n/);
    expect(transcript).toContain('[note: ended by the gateway: an admin terminated this session: incident 42]');

    const again = await api('POST', `/v1/sessions/${row.id}/terminate`, {});
    expect([again.statusCode, again.json().error.code]).toEqual([409, 'ERR_SESSION_NOT_LIVE']);
    expect((await auditOf(row.id)).filter((a) => a.type === 'session.terminated')).toHaveLength(1);
  });
});

describe('an admin ends a live session on a gateway apart from the CA, on PostgreSQL', () => {
  let database: TestDatabase;
  let stack: GatewayStack;
  let sam: Engineer;
  let adminToken: string;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    stack = await startGatewayStack({ databaseUrl: database.url!, remoteGateway: true });
    await stack.addTarget('web-1');
    sam = await stack.addEngineer('sam.term@example.com', ['gwterm']);
    ({ token: adminToken } = await stack.server.services.tokens.create({ role: 'admin', description: 'terminate test' }, { kind: 'cli', id: 'test' }));
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await database?.close();
  });

  it('reaches the gateway by NOTIFY and ends the connection within two seconds', { timeout: 60_000 }, async () => {
    const [file, args] = boundedCommand(SSH, ['-F', sam.sshConfig, 'gwterm@web-1', 'echo started; sleep 60'], 90);
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await eventually(async () => (stdout.includes('started') ? true : undefined), 'the command to start', 20_000);
      const db = stack.server.services.database.db;
      const row = await db.selectFrom('sessions').selectAll().where('user_id', '=', sam.userId).where('status', '=', 'live').executeTakeFirstOrThrow();
      const terminatedAt = Date.now();
      const response = await stack.server.app.inject({ method: 'POST', url: `/v1/sessions/${row.id}/terminate`, headers: { authorization: `Bearer ${adminToken}` } });
      expect(response.statusCode).toBe(202);
      const code = await Promise.race([exited, sleep(5000).then(() => 'still running' as const)]);
      expect(code).toBe(255);
      expect(Date.now() - terminatedAt).toBeLessThan(2000);
      expect(stderr).toContain('access: an admin terminated this session\r\n');
      const ended = await eventually(async () => {
        const r = await db.selectFrom('sessions').select(['status', 'end_reason']).where('id', '=', row.id).executeTakeFirstOrThrow();
        return r.status === 'ended' ? r : undefined;
      }, 'the session to end');
      expect(ended.end_reason).toBe('an admin terminated this session');
    } finally {
      await stopChild(child);
    }
  });
});
