import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionRow } from '@access/db';
import { auditEventsOf, eventually, recordingOf, recordedText } from '../support/gateway-records.ts';
import { startGatewayStack, type Engineer, type GatewayStack, type Target } from '../support/gateway-stack.ts';
import { boundedCommand, run, sleep } from '../support/process.ts';
import { SSH } from '../support/ssh-client.ts';

/**
 * The target's sshd dies under a live session: the per-connection sshd serving it, or the
 * whole sshd (listener and every connection). The engineer's ssh ends at once with one line
 * saying the target closed the connection, the session row names the target in its end
 * reason, the recording holds exactly what the engineer saw, and `session.end` is audited once.
 */
describe('a target killed mid-session', () => {
  let stack: GatewayStack;
  let kim: Engineer;
  const targets: Record<string, Target> = {};
  const children: ChildProcess[] = [];
  const db = () => stack.server.services.database.db;

  beforeAll(async () => {
    stack = await startGatewayStack();
    targets['web-1'] = await stack.addTarget('web-1');
    targets['web-2'] = await stack.addTarget('web-2');
    kim = await stack.addEngineer('kim@example.com', ['gwkill']);
  }, 60_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await stack?.stop();
  });

  /** An ssh client the test types into and reads from, as a person at a terminal would. */
  function open(args: readonly string[]) {
    const [file, argv] = boundedCommand(SSH, ['-F', kim.sshConfig, ...args], 60);
    const child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    const seen = { stdout: Buffer.alloc(0), stderr: '' };
    child.stdout!.on('data', (d: Buffer) => (seen.stdout = Buffer.concat([seen.stdout, d])));
    child.stderr!.on('data', (d: Buffer) => (seen.stderr += d.toString()));
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.once('exit', (code) => resolve({ code, at: Date.now() })));
    let sent = '';
    return {
      seen,
      exited,
      send(text: string) {
        sent += text;
        child.stdin!.write(text);
      },
      get sent() {
        return sent;
      },
      async waitFor(text: string, timeoutMs = 15_000) {
        await eventually(async () => (seen.stdout.toString().includes(text) ? true : undefined), `"${text}" on the engineer's terminal; saw ${JSON.stringify(seen.stdout.toString())} / ${JSON.stringify(seen.stderr)}`, timeoutMs);
      },
    };
  }

  /** The listener's pid (sshd writes it) and the per-connection sshd processes under it. */
  function sshdPid(target: Target): number {
    return Number(readFileSync(join(target.sshd.dir, 'sshd.pid'), 'utf8').trim());
  }
  async function childrenOf(pid: number): Promise<number[]> {
    const r = await run('pgrep', ['-P', String(pid)]);
    return r.stdout.split('\n').filter(Boolean).map(Number);
  }

  /** `pid` and every sshd process below it (not the shells sshd started). */
  async function sshdTree(pid: number): Promise<number[]> {
    const below = await childrenOf(pid);
    const sshd: number[] = [];
    for (const child of below) {
      const comm = (await run('ps', ['-o', 'comm=', '-p', String(child)])).stdout.trim();
      if (comm === 'sshd') sshd.push(...(await sshdTree(child)));
    }
    return [pid, ...sshd];
  }

  async function liveSession(host: string): Promise<SessionRow> {
    return eventually(async () => (await db().selectFrom('sessions').selectAll().where('user_id', '=', kim.userId).where('host', '=', host).where('status', '=', 'live').executeTakeFirst()) ?? undefined, `a live session on ${host}`);
  }
  async function endedSession(id: string): Promise<SessionRow> {
    return eventually(async () => {
      const row = await db().selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return row.status === 'live' ? undefined : row;
    }, `session ${id} to end`);
  }

  /** What every case checks once the engineer's ssh has exited. */
  async function expectEndedByTarget(
    ssh: ReturnType<typeof open>,
    live: SessionRow,
    killedAt: number,
    host: string,
    shownOn: 'stdout' | 'stderr',
  ): Promise<void> {
    const line = `access: the target ${host} closed the connection`;
    const { code, at } = await ssh.exited;
    // Promptly, not at a keepalive or timeout.
    expect(at - killedAt).toBeLessThan(3000);
    expect(code).toBe(255);
    const said = `\r\n${line}\r\n`;
    const stdout = ssh.seen.stdout.toString();
    if (shownOn === 'stdout') expect(stdout.endsWith(said)).toBe(true);
    else expect(ssh.seen.stderr.startsWith(said)).toBe(true);
    // One line, once, and no stack trace.
    expect((stdout + ssh.seen.stderr).split(line)).toHaveLength(2);
    expect(ssh.seen.stderr).not.toMatch(/\bat .*\.[jt]s:\d+/);

    const row = await endedSession(live.id);
    expect(row).toMatchObject({ status: 'ended', exit_status: null, exit_signal: null, end_reason: `the target ${host} closed the connection` });
    const events = await recordingOf(db(), row.id);
    // Exactly what the engineer saw from the target, and exactly what they sent.
    const output = recordedText(events, 'o') + recordedText(events, 'e');
    const fromTarget = shownOn === 'stdout' ? stdout.slice(0, -said.length) : stdout;
    expect(recordedText(events, 'o')).toBe(fromTarget);
    expect(recordedText(events, 'i')).toBe(ssh.sent);
    expect(events.filter((e) => e[1] === 'm').map((e) => e[2])).toEqual([`the target ${host} closed the connection`]);
    expect(Number(row.bytes_out)).toBe(Buffer.byteLength(output));
    expect(Number(row.bytes_in)).toBe(Buffer.byteLength(ssh.sent));

    const ends = await eventually(async () => {
      const found = (await auditEventsOf(db(), 'session.end', kim.userId)).filter((e) => e.details['sessionId'] === row.id);
      return found.length > 0 ? found : undefined;
    }, 'session.end');
    // Still once after a moment: nothing ends it a second time.
    await sleep(500);
    expect((await auditEventsOf(db(), 'session.end', kim.userId)).filter((e) => e.details['sessionId'] === row.id)).toHaveLength(1);
    expect(ends[0]!.details).toMatchObject({ reason: `the target ${host} closed the connection`, exitStatus: null, bytesIn: Number(row.bytes_in), bytesOut: Number(row.bytes_out) });
  }

  it('ends an exec session whose per-connection sshd is killed, saying the target closed the connection', { timeout: 60_000 }, async () => {
    const ssh = open(['-T', 'gwkill@web-1', 'echo started; while read line; do echo "got:$line"; done']);
    await ssh.waitFor('started\n');
    ssh.send('one\n');
    await ssh.waitFor('got:one\n');
    ssh.send('two\n');
    await ssh.waitFor('got:two\n');
    const live = await liveSession('web-1');

    // Kill the sshd processes serving this one connection; the listener stays up.
    const listener = sshdPid(targets['web-1']!);
    const perConnection = await childrenOf(listener);
    expect(perConnection).toHaveLength(1);
    const tree = await sshdTree(perConnection[0]!);
    const killedAt = Date.now();
    for (const pid of tree) process.kill(pid, 'SIGKILL');
    await expectEndedByTarget(ssh, live, killedAt, 'web-1', 'stderr');

    // The listener lives on: the next session works.
    const again = await kim.ssh(['gwkill@web-1', 'echo after']);
    expect(again).toMatchObject({ code: 0, stdout: 'after\n' });
  });

  it('ends a terminal session when the whole sshd is killed, saying so on the terminal', { timeout: 60_000 }, async () => {
    const ssh = open(['-tt', 'gwkill@web-2']);
    await ssh.waitFor('$ ');
    ssh.send('echo "sum:$((40+2))"\r');
    await ssh.waitFor('sum:42\r\n');
    await ssh.waitFor('$ ');
    const live = await liveSession('web-2');

    // The listener and every sshd process under it, at once. (Each connection's sshd runs in
    // a session of its own: killing the listener's process group alone leaves sessions up.)
    const listener = sshdPid(targets['web-2']!);
    const sshds = await sshdTree(listener);
    expect(sshds.length).toBeGreaterThanOrEqual(3);
    const killedAt = Date.now();
    for (const pid of sshds) process.kill(pid, 'SIGKILL');
    await expectEndedByTarget(ssh, live, killedAt, 'web-2', 'stdout');

    // Nothing answers there any more: a new session is refused with the reason.
    const after = await kim.ssh(['gwkill@web-2', 'true']);
    expect(after.code).toBe(255);
    expect(after.stderr).toMatch(/access: cannot reach web-2 at 127\.0\.0\.1:\d+: connect ECONNREFUSED/);
  });
});
