import { spawn, type ChildProcess } from 'node:child_process';

export interface RunResult {
  /** Exit status; `null` when the process was ended by a signal (see `signal`). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the run hit `timeoutMs` and was killed. */
  timedOut: boolean;
}

export interface RunOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string | Buffer;
  /** Keep stdout as raw bytes (for binary output such as a KRL). */
  binary?: boolean;
}

export interface BinaryRunResult extends Omit<RunResult, 'stdout'> {
  stdout: Buffer;
}

/**
 * Runs a program with an argument array (never a shell), collects its output and kills it
 * (SIGKILL) after `timeoutMs`, so a hung child can never hang a test run.
 */
export function runBinary(file: string, args: readonly string[], options: RunOptions = {}): Promise<BinaryRunResult> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
    if (options.input !== undefined && child.stdin) child.stdin.end(options.input);
  });
}

/** `runBinary` with stdout decoded as UTF-8. */
export async function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await runBinary(file, args, options);
  return { ...result, stdout: result.stdout.toString('utf8') };
}

/** Like `run`, but throws (with the output in the message) unless the exit status is 0. */
export async function runOk(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await run(file, args, options);
  if (result.code !== 0) {
    throw new Error(
      `${file} ${args.join(' ')} exited with ${result.code ?? result.signal}${result.timedOut ? ' (timed out)' : ''}\n` +
        `stdout: ${result.stdout}\nstderr: ${result.stderr}`,
    );
  }
  return result;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How long a server a test starts may live at most, even if the test process dies without stopping it. */
export const DEFAULT_LIFETIME_SECONDS = 15 * 60;

/**
 * Arguments to run `file args…` under coreutils `timeout`: a server started for a test then
 * ends by itself (SIGTERM, SIGKILL 5 s later, to its whole process group) after
 * `lifetimeSeconds`, even if the test runner is killed before its `afterAll`. `timeout`
 * passes a SIGTERM it receives on to the server, so stopping the wrapper stops the server.
 */
export function boundedCommand(file: string, args: readonly string[], lifetimeSeconds = DEFAULT_LIFETIME_SECONDS): [string, string[]] {
  return ['timeout', ['--kill-after=5', String(lifetimeSeconds), file, ...args]];
}

/**
 * SIGTERM, then SIGKILL to the child's whole process group if it has not exited within 5 s.
 * Children started with `boundedCommand` lead their own process group (`timeout` makes one),
 * so the SIGKILL also reaches the server behind the wrapper and anything it forked.
 */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
