import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './access-server.ts';
import { LogBuffer } from './log-buffer.ts';
import { boundedCommand, run, stopChild, type RunResult } from './process.ts';

export const ACCESS_BIN = join(REPO_ROOT, 'cli/bin/access.js');

/** The environment of one engineer's machine: their own HOME and ACCESS_HOME, no agent, no ACCESS_* from the caller. */
export function engineerEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('ACCESS_') && name !== 'SSH_AUTH_SOCK') env[name] = value;
  return { ...env, HOME: home, ACCESS_HOME: join(home, '.access'), ...extra };
}

export function access(home: string, args: readonly string[], extra: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return run(process.execPath, [ACCESS_BIN, ...args], { env: engineerEnv(home, extra), cwd: REPO_ROOT, timeoutMs: 60_000 });
}

export interface RunningCommand {
  output: LogBuffer;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Starts `access …` and lets the test read its output as it comes (for the login URL). */
export function startAccess(home: string, args: readonly string[], extra: NodeJS.ProcessEnv = {}): RunningCommand {
  const [file, argv] = boundedCommand(process.execPath, [ACCESS_BIN, ...args], 300);
  const child: ChildProcess = spawn(file, argv, { env: engineerEnv(home, extra), cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = new LogBuffer();
  output.attach(child.stdout!);
  output.attach(child.stderr!);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { output, exited, stop: () => stopChild(child) };
}
