import { spawn, type ChildProcess } from 'node:child_process';
import { boundedCommand, sleep } from './process.ts';
import { SSH } from './ssh-client.ts';

/**
 * One `ssh … cat` through the gateway that keeps sending numbered lines and collects what
 * comes back: exactly what the engineer sent and saw, to compare with the recording.
 */
export interface StreamingSession {
  readonly name: string;
  sent(): string;
  seen(): string;
  stderr(): string;
  /** Resolves once at least `lines` of the lines sent so far came back. */
  waitForEcho(lines: number, timeoutMs?: number): Promise<void>;
  /** Stops sending, closes stdin (cat then exits) and waits for ssh to end. */
  finish(timeoutMs?: number): Promise<{ code: number | null }>;
  /** Keeps sending until ssh ends by itself (the gateway ended the session); its exit status. */
  ended(timeoutMs?: number): Promise<{ code: number | null }>;
  kill(): void;
}

export function startStreamingSession(name: string, sshConfig: string, destination: string, everyMs: number, lifetimeSeconds = 300): StreamingSession {
  const [file, args] = boundedCommand(SSH, ['-F', sshConfig, destination, 'cat'], lifetimeSeconds);
  const child: ChildProcess = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let sent = '';
  let seen = '';
  let stderr = '';
  let n = 0;
  child.stdout!.on('data', (d: Buffer) => (seen += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  child.stdin!.on('error', () => undefined);
  const closed = new Promise<{ code: number | null }>((resolve) => child.once('close', (code) => resolve({ code })));
  const timer = setInterval(() => {
    const line = `${name}-${++n}\n`;
    sent += line;
    child.stdin!.write(line);
  }, everyMs);

  return {
    name,
    sent: () => sent,
    seen: () => seen,
    stderr: () => stderr,
    async waitForEcho(lines, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (seen.split('\n').length - 1 < lines) {
        if (Date.now() > deadline) throw new Error(`${name}: ${lines} lines did not come back within ${timeoutMs} ms (seen ${JSON.stringify(seen.slice(-200))}, stderr ${stderr})`);
        await sleep(20);
      }
    },
    async finish(timeoutMs = 30_000) {
      clearInterval(timer);
      child.stdin!.end();
      const timeout = sleep(timeoutMs).then(() => {
        throw new Error(`${name}: ssh did not end within ${timeoutMs} ms after stdin closed (stderr ${stderr})`);
      });
      return Promise.race([closed, timeout]);
    },
    async ended(timeoutMs = 30_000) {
      const timeout = sleep(timeoutMs).then(() => {
        throw new Error(`${name}: ssh did not end within ${timeoutMs} ms (stderr ${stderr})`);
      });
      const result = await Promise.race([closed, timeout]);
      clearInterval(timer);
      return result;
    },
    kill() {
      clearInterval(timer);
      child.kill('SIGKILL');
    },
  };
}
