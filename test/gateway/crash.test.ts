import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '@access/audit';
import { loadConfig, startServer, type RunningServer } from '@access/ca';
import { getFreePort } from '../support/free-port.ts';
import { LogBuffer } from '../support/log-buffer.ts';
import { REPO_ROOT } from '../support/access-server.ts';
import { boundedCommand, run, sleep, stopChild } from '../support/process.ts';
import { SSH } from '../support/ssh-client.ts';
import { makeTempDir, removeDir } from '../support/temp-dir.ts';

/**
 * `kill -9` of the process carrying the gateway mid-session: the recording is readable up to
 * its last flush (at most a second before the kill), and the session is marked interrupted
 * when a gateway next starts on that database.
 */
describe('a gateway killed mid-session', () => {
  const dataDir = makeTempDir('gw-crash');
  const children: ChildProcess[] = [];
  let restarted: RunningServer | undefined;
  let targetDir: string | undefined;
  afterAll(async () => {
    await restarted?.close();
    for (const c of children) await stopChild(c);
    // The target sshd the killed stack started outlives it (its own process group): end it too.
    if (targetDir) await run('pkill', ['-f', targetDir]);
    removeDir(dataDir);
  });

  it('keeps every flushed event and marks the session interrupted', { timeout: 120_000 }, async () => {
    const [file, args] = boundedCommand(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test/support/gateway-stack-process.ts'), dataDir], 120);
    const stackProcess = spawn(file, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(stackProcess);
    const log = new LogBuffer();
    log.attach(stackProcess.stdout!);
    log.attach(stackProcess.stderr!);
    const info = JSON.parse(await log.waitFor(/\{"ready":true.*\}/, 90_000).then((line) => /\{"ready":true.*\}/.exec(line)![0])) as { pid: number; sshConfig: string; targetPort: number; targetDir: string };
    targetDir = info.targetDir;

    // A session that prints a numbered line every 100 ms.
    const [sshFile, sshArgs] = boundedCommand(SSH, ['-F', info.sshConfig, 'gwalice@web-1', 'for i in $(seq 1 600); do echo line-$i; sleep 0.1; done'], 90);
    const ssh = spawn(sshFile, sshArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(ssh);
    let seen = '';
    ssh.stdout!.on('data', (d: Buffer) => (seen += d.toString()));
    const deadline = Date.now() + 30_000;
    while (!seen.includes('line-30\n') && Date.now() < deadline) await sleep(20);
    expect(seen).toContain('line-30\n');

    // The engineer has seen every line up to here; the last flush was at most a second ago.
    const seenAtKill = seen.split('\n').filter((l) => l.startsWith('line-')).length;
    process.kill(info.pid, 'SIGKILL');
    await new Promise((resolve) => stackProcess.once('exit', resolve));
    await new Promise((resolve) => (ssh.exitCode !== null ? resolve(null) : ssh.once('exit', resolve)));

    // An operator starts access-server again on the same data directory.
    const config = loadConfig({ dataDir, httpAddr: '127.0.0.1:0', sshAddr: `127.0.0.1:${await getFreePort()}` }, {});
    restarted = await startServer(config, { say: () => undefined });
    const db = restarted.services.database.db;
    const session = await db.selectFrom('sessions').selectAll().executeTakeFirstOrThrow();
    expect(session.status).toBe('interrupted');
    expect(session.end_reason).toMatch(/stopped unexpectedly/);
    expect(session.recorded_until).not.toBeNull();

    const chunks = await db.selectFrom('session_chunks').select(['seq', 'events']).where('session_id', '=', session.id).orderBy('seq').execute();
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
    const output = chunks
      .flatMap((c) => c.events.split('\n'))
      .map((line) => JSON.parse(line) as [number, string, string])
      .filter((e) => e[1] === 'o')
      .map((e) => e[2])
      .join('');
    const recorded = output.split('\n').filter((l) => l.startsWith('line-'));
    // Every recorded line is in order, with no gap: nothing flushed was lost or reordered.
    expect(recorded).toEqual(recorded.map((_, i) => `line-${i + 1}`));
    // At 10 lines a second and a flush every second, at most ~1 s of lines (plus one in flight) is missing.
    expect(recorded.length).toBeGreaterThanOrEqual(seenAtKill - 12);

    const events = await db.selectFrom('audit_events').select(['type', 'details']).where('type', 'in', ['session.start', 'session.interrupted']).orderBy('seq').execute();
    expect(events.map((e) => e.type)).toEqual(['session.start', 'session.interrupted']);
    expect((events[1]!.details as Record<string, unknown>)['sessionId']).toBe(session.id);
    // The hash chain still verifies across the crash.
    const verified = await createAuditLog(db, () => new Date()).verify();
    expect(verified).toMatchObject({ ok: true });
  });
});
