import type { Readable } from 'node:stream';

interface Waiter {
  regex: RegExp;
  since: number;
  resolve: (match: string) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Collects a child's log output and lets a test wait for a line. Offsets (`mark()`) scope a
 * wait to what was logged after a given point, so one test's lines never satisfy the next.
 */
export class LogBuffer {
  #text = '';
  #waiters = new Set<Waiter>();
  #closed: string | undefined;

  attach(stream: Readable): void {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      // sshd -e ends its lines with CRLF.
      this.#text += chunk.replace(/\r/g, '');
      for (const waiter of this.#waiters) this.#check(waiter);
    });
  }

  text(since = 0): string {
    return this.#text.slice(since);
  }

  /** The current end of the log, to pass to `waitFor` or `text` later. */
  mark(): number {
    return this.#text.length;
  }

  /** Fails every pending and future wait: the process behind the log is gone. */
  close(reason: string): void {
    this.#closed = reason;
    for (const waiter of this.#waiters) this.#fail(waiter, reason);
  }

  /** Resolves with the first complete line after `since` that matches `regex`. */
  waitFor(regex: RegExp, timeoutMs: number, since = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        regex,
        since,
        resolve,
        reject,
        timer: setTimeout(() => this.#fail(waiter, `no log line matched ${regex} within ${timeoutMs} ms`), timeoutMs),
      };
      this.#waiters.add(waiter);
      this.#check(waiter);
      if (this.#closed !== undefined && this.#waiters.has(waiter)) this.#fail(waiter, this.#closed);
    });
  }

  #check(waiter: Waiter): void {
    const complete = this.#text.slice(waiter.since, this.#text.lastIndexOf('\n') + 1);
    const line = complete.split('\n').find((l) => waiter.regex.test(l));
    if (line === undefined) return;
    clearTimeout(waiter.timer);
    this.#waiters.delete(waiter);
    waiter.resolve(line);
  }

  #fail(waiter: Waiter, reason: string): void {
    clearTimeout(waiter.timer);
    this.#waiters.delete(waiter);
    waiter.reject(new Error(`${reason}\n--- log ---\n${this.text(waiter.since).slice(-4000)}`));
  }
}
