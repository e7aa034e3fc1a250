import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createAuditLog } from '@access/audit';
import { loadConfig, startServer, type RunningServer } from '@access/ca';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/access-server.ts';
import { getFreePort } from '../support/free-port.ts';
import { recordedText, recordingOf } from '../support/gateway-records.ts';
import { LogBuffer } from '../support/log-buffer.ts';
import { startPostgresInstance, type PostgresInstance } from '../support/postgres-instance.ts';
import { boundedCommand, run, sleep, stopChild } from '../support/process.ts';
import { SSH } from '../support/ssh-client.ts';
import { makeTempDir, removeDir } from '../support/temp-dir.ts';

/**
 * `kill -9` of the gateway while PostgreSQL is away: what it had spooled (synced to disk at
 * each flush, every second) is written by the next gateway that starts on the same data
 * directory, so the recording keeps what happened during the outage up to the last flush.
 */
describe('a gateway killed while it spools', () => {
  const dataDir = makeTempDir('spool-crash');
  const children: ChildProcess[] = [];
  let pg: PostgresInstance | undefined;
  let restarted: RunningServer | undefined;
  let targetDir: string | undefined;
  afterAll(async () => {
    await restarted?.close();
    for (const c of children) await stopChild(c);
    if (targetDir) await run('pkill', ['-f', targetDir]);
    await pg?.destroy();
    removeDir(dataDir);
  }, 60_000);

  const spoolFiles = () => {
    try {
      return readdirSync(join(dataDir, 'spool')).filter((f) => f.endsWith('.spool'));
    } catch {
      return [];
    }
  };

  it('writes the spool of the killed gateway when the next one starts', { timeout: 150_000 }, async () => {
    pg = await startPostgresInstance();
    const [file, args] = boundedCommand(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test/support/gateway-stack-process.ts'), dataDir, pg.url], 150);
    const stackProcess = spawn(file, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(stackProcess);
    const log = new LogBuffer();
    log.attach(stackProcess.stdout!);
    log.attach(stackProcess.stderr!);
    const info = JSON.parse(await log.waitFor(/\{"ready":true.*\}/, 90_000).then((line) => /\{"ready":true.*\}/.exec(line)![0])) as { pid: number; sshConfig: string; targetDir: string };
    targetDir = info.targetDir;

    const [sshFile, sshArgs] = boundedCommand(SSH, ['-F', info.sshConfig, 'gwalice@web-1', 'for i in $(seq 1 900); do echo line-$i; sleep 0.1; done'], 120);
    const ssh = spawn(sshFile, sshArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(ssh);
    let seen = '';
    ssh.stdout!.on('data', (d: Buffer) => (seen += d.toString()));
    const lines = () => seen.split('\n').filter((l) => l.startsWith('line-')).length;
    const waitForLines = async (n: number) => {
      const deadline = Date.now() + 30_000;
      while (lines() < n && Date.now() < deadline) await sleep(20);
      expect(lines()).toBeGreaterThanOrEqual(n);
    };
    await waitForLines(20);

    await pg.stop();
    const atOutage = lines();
    // Three seconds of output while the database is away: three flushes into the spool.
    await waitForLines(atOutage + 30);
    expect(spoolFiles()).toHaveLength(1);
    const seenAtKill = lines();
    process.kill(info.pid, 'SIGKILL');
    await new Promise((resolve) => (stackProcess.exitCode !== null ? resolve(null) : stackProcess.once('exit', resolve)));
    await new Promise((resolve) => (ssh.exitCode !== null ? resolve(null) : ssh.once('exit', resolve)));

    await pg.start();
    const config = loadConfig({ dataDir, databaseUrl: pg.url, httpAddr: '127.0.0.1:0', sshAddr: `127.0.0.1:${await getFreePort()}` }, {});
    const said: string[] = [];
    restarted = await startServer(config, { say: (line) => said.push(line) });
    expect(spoolFiles()).toEqual([]);
    expect(said.some((l) => /wrote \d+ batch\(es\) a stopped gateway left in .+\.spool/.test(l))).toBe(true);

    const db = restarted.services.database.db;
    const session = await db.selectFrom('sessions').selectAll().executeTakeFirstOrThrow();
    const chunks = await db.selectFrom('session_chunks').select('seq').where('session_id', '=', session.id).orderBy('seq').execute();
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
    const recorded = recordedText(await recordingOf(db, session.id), 'o')
      .split('\n')
      .filter((l) => l.startsWith('line-'));
    // In order, no gap, nothing twice; what ran during the outage is there up to the last flush.
    expect(recorded).toEqual(recorded.map((_, i) => `line-${i + 1}`));
    expect(recorded.length).toBeGreaterThanOrEqual(atOutage + 15);
    expect(recorded.length).toBeGreaterThanOrEqual(seenAtKill - 12);
    expect(recorded.length).toBeLessThanOrEqual(seenAtKill);
    expect(Number(session.bytes_out)).toBeGreaterThanOrEqual(Buffer.byteLength(recorded.map((l) => `${l}\n`).join('')));

    const starts = await db.selectFrom('audit_events').select('seq').where('type', '=', 'session.start').execute();
    expect(starts).toHaveLength(1);
    expect((await createAuditLog(db).verify()).ok).toBe(true);
  });
});
