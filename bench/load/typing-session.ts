import type { ClientChannel } from 'ssh2';
import { openShell, type Ssh2Connect, type Ssh2Link } from '../gateway/ssh2-paths.ts';

/** dash's prompt for a user who is not root: the shell is ready for a line. */
const PROMPT = '$ ';
const PROMPT_TIMEOUT_MS = 20_000;
/** Keys typed per line: '#' (the line is a comment, so Enter runs nothing), letters, then Enter. */
const LINE_LENGTH = 40;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const ENTER = 0x0d;
/** What the terminal echoes for Enter: CR becomes NL on input (ICRNL), NL goes out as CR NL (ONLCR). */
const NEWLINE = 0x0a;

interface Pending {
  /** The byte whose echo answers this keystroke. */
  expect: number;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One engineer at a terminal: an interactive login shell (pty) on the target, through the
 * path `connect` makes. `type()` sends the next key of a comment line and resolves when
 * the target's terminal has echoed it. Keys may be typed before earlier ones came back;
 * echoes arrive in order, so they are matched first in, first out. The prompt and the
 * newline after Enter contain none of the letters, '#' is not in the prompt.
 */
export class TypingSession {
  private readonly pending: Pending[] = [];
  private typed = 0;
  private closedReason: string | undefined;

  private constructor(
    private readonly link: Ssh2Link,
    private readonly channel: ClientChannel,
  ) {
    channel.on('data', (chunk: Buffer) => {
      for (const byte of chunk) {
        const head = this.pending[0];
        if (head && byte === head.expect) {
          this.pending.shift();
          clearTimeout(head.timer);
          head.resolve();
        }
      }
    });
    channel.stderr.resume();
    channel.once('close', () => this.fail('the session closed'));
    link.client.once('close', () => this.fail('the connection closed'));
  }

  /** Opens the shell and waits for its first prompt. */
  static async open(connect: Ssh2Connect): Promise<TypingSession> {
    const link = await connect();
    try {
      const channel = await openShell(link.client);
      await new Promise<void>((resolve, reject) => {
        let seen = '';
        const onData = (chunk: Buffer) => {
          seen = (seen + chunk.toString('latin1')).slice(-200);
          if (!seen.includes(PROMPT)) return;
          done();
          resolve();
        };
        const onClose = () => {
          done();
          reject(new Error(`the shell closed before its prompt: ${JSON.stringify(seen)}`));
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no shell prompt within ${PROMPT_TIMEOUT_MS} ms: ${JSON.stringify(seen)}`));
        }, PROMPT_TIMEOUT_MS);
        const done = () => {
          clearTimeout(timer);
          channel.off('data', onData);
          channel.off('close', onClose);
        };
        channel.on('data', onData);
        channel.once('close', onClose);
      });
      return new TypingSession(link, channel);
    } catch (error) {
      link.close();
      throw error;
    }
  }

  /** Types the next key; resolves once it is echoed, rejects after `timeoutMs`. */
  type(timeoutMs: number): Promise<void> {
    if (this.closedReason) return Promise.reject(new Error(this.closedReason));
    const column = this.typed++ % LINE_LENGTH;
    const key = column === 0 ? '#'.charCodeAt(0) : column === LINE_LENGTH - 1 ? ENTER : LETTERS.charCodeAt((column - 1) % LETTERS.length);
    const expect = key === ENTER ? NEWLINE : key;
    return new Promise<void>((resolve, reject) => {
      const entry: Pending = {
        expect,
        resolve,
        reject,
        timer: setTimeout(() => {
          const at = this.pending.indexOf(entry);
          if (at >= 0) this.pending.splice(at, 1);
          reject(new Error(`a keystroke was not echoed within ${Math.round(timeoutMs)} ms`));
        }, Math.max(0, timeoutMs)),
      };
      this.pending.push(entry);
      this.channel.write(Buffer.of(key));
    });
  }

  private fail(reason: string): void {
    this.closedReason ??= reason;
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(new Error(reason));
    }
  }

  /** True while the session is open (no close seen). */
  get open(): boolean {
    return this.closedReason === undefined;
  }

  close(): void {
    this.fail('closed by the bench');
    this.channel.end();
    this.link.close();
  }
}
