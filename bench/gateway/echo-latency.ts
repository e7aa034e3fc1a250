import type { ClientChannel } from 'ssh2';
import { summarize, type LatencySummary } from '../lib/stats.ts';
import { execInTerminal, type PathName, type Ssh2Connect, type Ssh2Link } from './ssh2-paths.ts';

/** The remote side: a terminal in raw mode without echo, and cat sending every byte back as it comes. */
const ECHO_COMMAND = 'stty raw -echo && printf READY && exec cat';
const KEYS = Buffer.from('abcdefghijklmnopqrstuvwxyz');
const KEYSTROKE_TIMEOUT_MS = 5_000;

export interface EchoPlan {
  keystrokes: number;
  warmup: number;
  /** Pause between keystrokes, so each one is a lone packet like typing, not a stream. */
  gapMs: number;
}

interface Waiter {
  byte: number;
  sentAt: number;
  resolve: (ms: number) => void;
}

/** One terminal session running `cat`: `roundTrip()` types one key and resolves when it is echoed. */
class EchoSession {
  private waiter: Waiter | undefined;
  private next = 0;

  private constructor(
    readonly link: Ssh2Link,
    private readonly channel: ClientChannel,
  ) {
    channel.on('data', (chunk: Buffer) => {
      const w = this.waiter;
      if (w && chunk.includes(w.byte)) {
        this.waiter = undefined;
        w.resolve(performance.now() - w.sentAt);
      }
    });
  }

  static async open(connect: Ssh2Connect): Promise<EchoSession> {
    const link = await connect();
    try {
      const channel = await execInTerminal(link.client, ECHO_COMMAND);
      channel.stderr.resume();
      await new Promise<void>((resolve, reject) => {
        let seen = '';
        const timer = setTimeout(() => reject(new Error(`the echo command did not start: ${JSON.stringify(seen)}`)), 10_000);
        const onData = (chunk: Buffer) => {
          seen += chunk.toString('latin1');
          if (!seen.includes('READY')) return;
          clearTimeout(timer);
          channel.off('data', onData);
          resolve();
        };
        channel.on('data', onData);
      });
      return new EchoSession(link, channel);
    } catch (error) {
      link.close();
      throw error;
    }
  }

  roundTrip(): Promise<number> {
    const byte = KEYS[this.next++ % KEYS.length]!;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`a keystroke was not echoed within ${KEYSTROKE_TIMEOUT_MS} ms`)), KEYSTROKE_TIMEOUT_MS);
      this.waiter = {
        byte,
        sentAt: performance.now(),
        resolve: (ms) => {
          clearTimeout(timer);
          resolve(ms);
        },
      };
      this.channel.write(Buffer.of(byte));
    });
  }

  close(): void {
    this.channel.end();
    this.link.close();
  }
}

/**
 * Keystroke echo round trips, one byte at a time, on one terminal session per path. The
 * paths take turns keystroke by keystroke (in rotating order), so a busy moment of the
 * machine falls on all of them alike rather than on whichever path ran then.
 */
export async function benchEcho(connectors: Readonly<Record<PathName, Ssh2Connect>>, paths: readonly PathName[], plan: EchoPlan): Promise<Record<PathName, LatencySummary>> {
  const sessions: EchoSession[] = [];
  try {
    for (const path of paths) sessions.push(await EchoSession.open(connectors[path]));
    const samples = paths.map(() => new Float64Array(plan.keystrokes));
    for (let i = -plan.warmup; i < plan.keystrokes; i += 1) {
      for (let k = 0; k < paths.length; k += 1) {
        const p = (k + i + plan.warmup) % paths.length;
        const ms = await sessions[p]!.roundTrip();
        if (i >= 0) samples[p]![i] = ms;
        await new Promise((resolve) => setTimeout(resolve, plan.gapMs));
      }
    }
    return Object.fromEntries(paths.map((path, p) => [path, summarize(samples[p]!)])) as Record<PathName, LatencySummary>;
  } finally {
    for (const s of sessions) s.close();
  }
}
