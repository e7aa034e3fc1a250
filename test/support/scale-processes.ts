import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACCESS_SERVER_BIN, REPO_ROOT } from './access-server.ts';
import { getFreePort } from './free-port.ts';
import { LogBuffer } from './log-buffer.ts';
import { boundedCommand, run, stopChild } from './process.ts';

/**
 * `access-server` processes for scale-out tests: CA instances and separate gateways on one
 * PostgreSQL database, each a process of its own that a test can kill with SIGKILL.
 */
export interface ServerProcess {
  /** `http://127.0.0.1:PORT` for a CA, `127.0.0.1:PORT` for a gateway. */
  address: string;
  port: number;
  log: LogBuffer;
  /** The node process itself (not the `timeout` wrapper), for `kill -9`. */
  pid(): Promise<number>;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  stop(): Promise<void>;
}

/** Only the settings a test gives: a developer's ACCESS_* environment never leaks in. */
function childEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('ACCESS_') && name !== 'CREDENTIALS_DIRECTORY') env[name] = value;
  return { ...env, ...extra };
}

async function spawnServer(args: string[], ready: RegExp, port: number, address: string, env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const [file, wrapped] = boundedCommand(process.execPath, [ACCESS_SERVER_BIN, ...args], 600);
  const child: ChildProcess = spawn(file, wrapped, { env: childEnv(env), cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = new LogBuffer();
  log.attach(child.stdout!);
  log.attach(child.stderr!);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('exit', (code, signal) => log.close(`access-server ${args.join(' ')} exited (${code ?? signal})`));
  try {
    await log.waitFor(ready, 60_000);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return {
    address,
    port,
    log,
    async pid() {
      // boundedCommand runs the server under coreutils `timeout`: the server is its only child.
      const r = await run('ps', ['-o', 'pid=', '--ppid', String(child.pid)]);
      const pid = Number(r.stdout.trim().split('\n')[0]);
      if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no server process under ${child.pid}`);
      return pid;
    },
    exited,
    stop: () => stopChild(child),
  };
}

/** `access-server start --no-gateway` on `databaseUrl`, reading CA keys from `<dataDir>/keys`. */
export async function startCaProcess(options: { dataDir: string; databaseUrl: string }): Promise<ServerProcess> {
  const port = await getFreePort();
  const args = ['--data-dir', options.dataDir, '--database-url', options.databaseUrl, 'start', '--http-addr', `127.0.0.1:${port}`, '--no-gateway'];
  return spawnServer(args, /listening on http:\/\//, port, `http://127.0.0.1:${port}`);
}

/** `access-server gateway` asking the CA at `caUrl` with a gateway token, recording to `databaseUrl`. */
export async function startGatewayProcess(options: { caUrl: string; databaseUrl: string; token: string; dir: string; env?: NodeJS.ProcessEnv }): Promise<ServerProcess> {
  const port = await getFreePort();
  const tokenFile = join(options.dir, `gateway-token-${port}`);
  writeFileSync(tokenFile, `${options.token}\n`, { mode: 0o600 });
  const args = ['--database-url', options.databaseUrl, 'gateway', '--ca-url', options.caUrl, '--token-file', tokenFile, '--ssh-addr', `127.0.0.1:${port}`];
  return spawnServer(args, /listening for ssh on/, port, `127.0.0.1:${port}`, options.env);
}
