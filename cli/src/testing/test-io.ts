import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { CliIo, RunResult } from '../io.ts';
import { main } from '../main.ts';

/** A CliIo for tests: captured output, a temporary HOME, recorded programs, instant sleeps. */
export interface TestIo extends CliIo {
  out(): string;
  err(): string;
  /** Resolves with the first stderr line matching, while a command runs. */
  waitForErr(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  ran: Array<{ file: string; args: readonly string[] }>;
  launched: Array<{ file: string; args: readonly string[] }>;
  slept: number[];
  asked: string[];
}

export function makeHome(): string {
  return mkdtempSync(join(tmpdir(), 'access-cli-home-'));
}

export function testIo(home: string, options: { env?: NodeJS.ProcessEnv; tty?: boolean; answers?: string[]; run?: (file: string, args: readonly string[]) => RunResult } = {}): TestIo {
  const stdout = Object.assign(new PassThrough(), { isTTY: options.tty ?? false });
  const stderr = Object.assign(new PassThrough(), { isTTY: false });
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const answers = [...(options.answers ?? [])];
  const io: TestIo = {
    stdout,
    stderr,
    stdinIsTTY: options.tty ?? false,
    env: { HOME: home, ACCESS_HOME: join(home, '.access'), ...options.env },
    fetch: (input, init) => fetch(input, init),
    now: () => new Date(),
    sleep: async (ms) => void io.slept.push(ms),
    run: async (file, args) => {
      io.ran.push({ file, args });
      return options.run?.(file, args) ?? { code: 0, stdout: '', stderr: '' };
    },
    launch: async (file, args) => (io.launched.push({ file, args }), true),
    platform: 'linux',
    ask: async (question) => (io.asked.push(question), answers.shift() ?? ''),
    out: () => out,
    err: () => err,
    async waitForErr(pattern, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const m = pattern.exec(err);
        if (m) return m;
        if (Date.now() > until) throw new Error(`stderr never matched ${pattern}: ${err}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    ran: [],
    launched: [],
    slept: [],
    asked: [],
  };
  return io;
}

/** Runs `access <args>` in process with this io. */
export const access = (io: TestIo, args: string[]): Promise<number> => main(args, io);
