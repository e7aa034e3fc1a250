import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getFreePort } from './free-port.ts';
import { LogBuffer } from './log-buffer.ts';
import { boundedCommand, run, runBinary, stopChild, type RunResult } from './process.ts';
import { publicKeyOf } from './ssh-keygen.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const ACCESS_SERVER_BIN = join(REPO_ROOT, 'services/ca/bin/access-server.js');

/**
 * The environment for the CA's processes: the caller's, minus every ACCESS_* setting (so a
 * developer's shell cannot change the policy under test, and the embedded database is used),
 * plus the data directory.
 */
function childEnv(dataDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('ACCESS_')) env[name] = value;
  delete env['CREDENTIALS_DIRECTORY'];
  return { ...env, ACCESS_DATA_DIR: dataDir, ...extra };
}

/**
 * Runs `access-server --data-dir DIR <args…>` offline. Only one process may open a PGlite
 * data dir: never run this against a data dir a started server is using.
 */
export function accessCli(dataDir: string, args: readonly string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return run(process.execPath, [ACCESS_SERVER_BIN, '--data-dir', dataDir, ...args], {
    env: childEnv(dataDir, options.env),
    cwd: REPO_ROOT,
    timeoutMs: options.timeoutMs ?? 60_000,
  });
}

/** `accessCli` that throws unless the command succeeded. */
export async function accessCliOk(dataDir: string, args: readonly string[]): Promise<RunResult> {
  const result = await accessCli(dataDir, args);
  if (result.code !== 0) {
    throw new Error(`access-server ${args.join(' ')} exited with ${result.code ?? result.signal}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
  return result;
}

/** `accessCli` for a command whose stdout is binary (`ca krl`); throws unless it succeeded. */
export async function accessCliBytes(dataDir: string, args: readonly string[]): Promise<Buffer> {
  const result = await runBinary(process.execPath, [ACCESS_SERVER_BIN, '--data-dir', dataDir, ...args], {
    env: childEnv(dataDir),
    cwd: REPO_ROOT,
    timeoutMs: 60_000,
  });
  if (result.code !== 0) throw new Error(`access-server ${args.join(' ')} exited with ${result.code ?? result.signal}\nstderr: ${result.stderr}`);
  return result.stdout;
}

/** `ca init` then `token create --role admin`: a data dir ready for `start`, and its admin token. */
export async function initDataDir(dataDir: string): Promise<{ token: string; keys: string }> {
  const keys = (await accessCliOk(dataDir, ['ca', 'init'])).stdout;
  const created = await accessCliOk(dataDir, ['token', 'create', '--role', 'admin', '--description', 'conformance tests']);
  // The contract: the token alone, on one line of stdout (anything else goes to stderr).
  const token = /^(acc_\S+)\n?$/.exec(created.stdout)?.[1];
  if (token === undefined) throw new Error(`token create did not print just an acc_ token on stdout:\n${created.stdout}`);
  return { token, keys };
}

/** The CA private key file in `<dataDir>/keys` whose public half is `publicKey`. */
export async function findCaKeyFile(dataDir: string, publicKey: string): Promise<string> {
  const wanted = publicKey.trim().split(/\s+/).slice(0, 2).join(' ');
  const keyDir = join(dataDir, 'keys');
  for (const name of readdirSync(keyDir).sort()) {
    const path = join(keyDir, name);
    const candidate = await publicKeyOf(path).catch(() => undefined);
    if (candidate === wanted) return path;
  }
  throw new Error(`no private key in ${keyDir} matches ${wanted}`);
}

export interface AccessServerHandle {
  url: string;
  logText(): string;
  stop(): Promise<void>;
}

/**
 * `access-server start` on 127.0.0.1 and a free port; resolves once it logs
 * "listening on http://…".
 */
export async function startAccessServer(dataDir: string, options: { startTimeoutMs?: number } = {}): Promise<AccessServerHandle> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await getFreePort();
    const [file, args] = boundedCommand(process.execPath, [ACCESS_SERVER_BIN, '--data-dir', dataDir, 'start', '--http-addr', `127.0.0.1:${port}`, '--no-gateway']);
    const child: ChildProcess = spawn(file, args, { env: childEnv(dataDir), cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = new LogBuffer();
    log.attach(child.stdout!);
    log.attach(child.stderr!);
    child.on('exit', (code, signal) => log.close(`access-server exited (${code ?? signal})`));
    try {
      const line = await log.waitFor(/listening on http:\/\/\S+/, options.startTimeoutMs ?? 45_000);
      const url = /listening on (http:\/\/[^\s/]+)/.exec(line)?.[1] ?? `http://127.0.0.1:${port}`;
      return { url, logText: () => log.text(), stop: () => stopChild(child) };
    } catch (error) {
      lastError = error;
      await stopChild(child);
      if (!/EADDRINUSE/.test(log.text())) break;
    }
  }
  throw lastError;
}
