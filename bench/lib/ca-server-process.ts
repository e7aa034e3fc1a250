import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SERVER_BIN = fileURLToPath(new URL('../../services/ca/bin/access-server.js', import.meta.url));

export interface CaServerProcess {
  url: string;
  pid: number;
  /** SIGTERM, then SIGKILL if the server has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface CaServerOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  startTimeoutMs: number;
  /** Extra node flags for the server, e.g. ['--cpu-prof'] to see where its time goes. */
  nodeFlags?: string[] | undefined;
  /** Where the API listens; default 127.0.0.1:0 (a free port). `--dev` needs a real port: the OIDC redirect URI is made from it. */
  httpAddr?: string | undefined;
  /** Extra `start` flags, e.g. ['--dev', '--dev-idp-addr', '127.0.0.1:40123']. */
  startArgs?: string[] | undefined;
  /** Settings added to the child's environment after ACCESS_* was removed, e.g. ACCESS_DEV_PASSWORD. */
  env?: Record<string, string> | undefined;
}

/** The last 8,000 characters each server child wrote to stderr, by pid: what to show when one dies mid-run. */
const stderrTails = new Map<number, () => string>();

/** The end of what server child `pid` wrote to stderr (empty when it is not one of ours). */
export function serverStderrTail(pid: number): string {
  return stderrTails.get(pid)?.() ?? '';
}

/** The child's environment without ACCESS_* settings, so only the flags and `extra` given here apply. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ACCESS_'))), ...extra };
}

/**
 * Starts `access-server start` as a child process on a free loopback port and resolves
 * once it says where it listens. The caller must `stop()` it (register it for cleanup).
 */
export function startCaServer(options: CaServerOptions): Promise<CaServerProcess> {
  const args = [...(options.nodeFlags ?? []), SERVER_BIN, '--data-dir', options.dataDir];
  if (options.databaseUrl) args.push('--database-url', options.databaseUrl);
  const startArgs = options.startArgs ?? [];
  // The CA benchmarks run the CA alone unless a run asks for the gateway.
  const gateway = startArgs.includes('--ssh-addr') ? [] : ['--no-gateway'];
  args.push('start', '--http-addr', options.httpAddr ?? '127.0.0.1:0', '--log-level', 'warn', ...gateway, ...startArgs);
  const child = spawn(process.execPath, args, { env: childEnv(options.env), stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  if (child.pid !== undefined) stderrTails.set(child.pid, () => stderr);

  const stop = async (graceMs = 15_000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  return new Promise<CaServerProcess>((resolve, reject) => {
    let started = false;
    const fail = (reason: string) => {
      if (started) return;
      started = true;
      clearTimeout(timer);
      void stop(2_000).finally(() => reject(new Error(`access-server ${reason}; its stderr ends with:\n${stderr.slice(-2000)}`)));
    };
    const timer = setTimeout(() => fail(`did not listen within ${options.startTimeoutMs} ms`), options.startTimeoutMs);
    child.once('error', (error) => fail(`could not be spawned: ${error.message}`));
    child.once('exit', (code, signal) => fail(`exited during start (${signal ?? code})`));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-8000);
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match && child.pid !== undefined && !started) {
        started = true;
        clearTimeout(timer);
        resolve({ url: match[1]!, pid: child.pid, stop });
      }
    });
  });
}
