import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getFreePort } from './free-port.ts';
import { LogBuffer } from './log-buffer.ts';
import { boundedCommand, runOk } from './process.ts';
import { makeTempDir, removeDir } from './temp-dir.ts';

/** The server binaries of the newest PostgreSQL Debian installed (the machine's server runs on them too). */
function serverBinaries(): string {
  const versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error('no PostgreSQL server under /usr/lib/postgresql: install postgresql');
  return join('/usr/lib/postgresql', versions[0]!, 'bin');
}
const OWNER = { uid: 'postgres', group: 'postgres' };

/**
 * A PostgreSQL server of the test's own (fresh cluster, loopback port), which the test may
 * stop, restart and start at will without touching the machine's server other suites use.
 * It runs under `timeout`, so it ends by itself even if the test runner dies first.
 */
export interface PostgresInstance {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication). */
  url: string;
  port: number;
  log: LogBuffer;
  /** Fast shutdown (SIGINT): open connections are ended, as on a restart by an operator. */
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

/** Runs as the `postgres` user: the server refuses to run as root. */
const asPostgres = (file: string, args: readonly string[]): [string, string[]] => [
  'setpriv',
  [`--reuid=${OWNER.uid}`, `--regid=${OWNER.group}`, '--init-groups', file, ...args],
];

export async function startPostgresInstance(lifetimeSeconds = 900): Promise<PostgresInstance> {
  const bin = serverBinaries();
  const dir = makeTempDir('pg-instance');
  const data = join(dir, 'data');
  const owner = Number((await runOk('id', ['-u', OWNER.uid])).stdout.trim());
  const group = Number((await runOk('id', ['-g', OWNER.uid])).stdout.trim());
  chownSync(dir, owner, group);
  await runOk(...asPostgres(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']), { timeoutMs: 60_000 });
  const port = await getFreePort();
  const log = new LogBuffer();
  let server: ChildProcess | null = null;

  async function start(): Promise<void> {
    const mark = log.mark();
    const [file, args] = boundedCommand(...asPostgres(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1']), lifetimeSeconds);
    server = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    log.attach(server.stdout!);
    log.attach(server.stderr!);
    await log.waitFor(/database system is ready to accept connections/, 30_000, mark);
  }

  async function stop(): Promise<void> {
    const child = server;
    if (!child || child.exitCode !== null) return;
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(pid, 'SIGINT');
    await exited;
    server = null;
  }

  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    log,
    stop,
    start,
    async restart() {
      await stop();
      await start();
    },
    async destroy() {
      await stop().catch(() => undefined);
      removeDir(dir);
    },
  };
}
