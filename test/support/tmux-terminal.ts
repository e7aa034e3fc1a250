import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, runOk, sleep } from './process.ts';
import { makeTempDir, removeDir } from './temp-dir.ts';

export const TMUX = '/usr/bin/tmux';

export interface TmuxTerminalOptions {
  cols: number;
  rows: number;
  /** What the pane says it is; programs in it (and ssh, to the far end) see it as TERM. */
  term?: string;
}

export interface TmuxTerminal {
  readonly term: string;
  /** Types `text` exactly as given (no key names). */
  type(text: string): Promise<void>;
  /** Presses keys by tmux name: `Enter`, `C-c`, … */
  press(...keys: string[]): Promise<void>;
  /** The visible screen, one string per row, trailing spaces trimmed; `escapes` keeps colours and attributes. */
  screen(options?: { escapes?: boolean }): Promise<string[]>;
  /** Polls the screen every 100 ms until `test` holds; the error shows the last screen. */
  waitForScreen(what: string, test: (lines: string[]) => boolean, timeoutMs?: number): Promise<string[]>;
  resize(cols: number, rows: number): Promise<void>;
  /** The program's exit status once it has exited (the pane stays, showing its last screen as the program left it). */
  waitForExit(timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A real terminal for a program that needs one (OpenSSH's interactive client): a detached
 * tmux session of a fixed size on its own server socket, with no status line, so the pane is
 * the whole window. After the program exits, a shell writes its exit status to a file and
 * sleeps, so the pane keeps the last screen unchanged: tmux's `remain-on-exit` would scroll it
 * up a line to say the pane is dead.
 */
export async function startTmuxTerminal(command: readonly string[], options: TmuxTerminalOptions): Promise<TmuxTerminal> {
  const dir = makeTempDir('tmux');
  const term = options.term ?? 'screen-256color';
  const conf = join(dir, 'tmux.conf');
  // No history: grown taller, tmux would pull scrolled-off lines back onto the screen, which a
  // replay of the recording (no scrollback) cannot do, and the screens would differ.
  writeFileSync(conf, [`set -g default-terminal ${term}`, 'set -g status off', 'set -g history-limit 0', ''].join('\n'));
  const socket = join(dir, 'socket');
  const statusFile = join(dir, 'exit-status');
  const wrapped = ['/bin/sh', '-c', 'f=$1; shift; "$@"; echo $? > "$f"; exec sleep 3600', 'sh', statusFile, ...command];
  const tmux = (args: readonly string[]) => runOk(TMUX, ['-S', socket, ...args], { timeoutMs: 10_000 });
  const target = 'access-test';
  try {
    await runOk(TMUX, ['-S', socket, '-f', conf, 'new-session', '-d', '-s', target, '-x', String(options.cols), '-y', String(options.rows), '--', ...wrapped], { timeoutMs: 10_000 });
  } catch (error) {
    removeDir(dir);
    throw error;
  }

  const screen = async ({ escapes = false } = {}) => {
    const { stdout } = await tmux(['capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', target]);
    return stdout.replace(/\n$/, '').split('\n').map((l) => l.trimEnd());
  };
  const readStatus = (): number | null => {
    try {
      const text = readFileSync(statusFile, 'utf8');
      return text.endsWith('\n') ? Number(text) : null;
    } catch {
      return null;
    }
  };

  return {
    term,
    type: async (text) => void (await tmux(['send-keys', '-t', target, '-l', '--', text])),
    press: async (...keys) => void (await tmux(['send-keys', '-t', target, ...keys])),
    screen,
    async waitForScreen(what, test, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const lines = await screen();
        if (test(lines)) return lines;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen:\n${lines.join('\n')}`);
        await sleep(100);
      }
    },
    resize: async (cols, rows) => void (await tmux(['resize-window', '-t', target, '-x', String(cols), '-y', String(rows)])),
    async waitForExit(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const status = readStatus();
        if (status !== null) return status;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${command.join(' ')} to exit; the screen:\n${(await screen()).join('\n')}`);
        await sleep(100);
      }
    },
    async stop() {
      // Ends this socket's server only, and with it the program in the pane.
      await run(TMUX, ['-S', socket, 'kill-server'], { timeoutMs: 10_000 });
      removeDir(dir);
    },
  };
}
