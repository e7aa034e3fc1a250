import { appendFileSync, closeSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordBatch } from './record-batch.ts';

/** The spool could not take a batch: its directory is full or failing, or it reached its size limit. */
export class SpoolError extends Error {
  constructor(
    message: string,
    readonly code: 'ERR_SPOOL_FULL' | 'ERR_SPOOL_WRITE',
  ) {
    super(message);
    this.name = 'SpoolError';
  }
}

/**
 * Batches the database could not take yet, on local disk: one JSON line each, synced to
 * disk before `append` returns, in a file only this process writes
 * (`<spool id>.<pid>.spool`, mode 0600 in a 0700 directory: recordings are secrets).
 */
export interface RecordSpool {
  readonly id: string;
  /** Durable once it returns; throws a SpoolError and leaves the file as it was otherwise. */
  append(batch: RecordBatch): void;
  /** Keeps a batch the database refuses for good beside the spool (`….rejected`), for a person to look at. */
  reject(batch: RecordBatch, reason: string): string;
  /** Every batch in it was written to the database: removes the file. */
  clear(): void;
  /** Bytes in the file now. */
  size(): number;
  close(): void;
}

export interface SpoolOptions {
  dir: string;
  id: string;
  pid: number;
  /** The file never grows past this many bytes. */
  maxBytes: number;
}

export function openRecordSpool(options: SpoolOptions): RecordSpool {
  const path = join(options.dir, `${options.id}.${options.pid}.spool`);
  let fd: number | null = null;
  let size = 0;

  function open(): number {
    if (fd !== null) return fd;
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    fd = openSync(path, 'a', 0o600);
    return fd;
  }

  return {
    id: options.id,
    append(batch) {
      const line = Buffer.from(`${JSON.stringify(batch)}\n`);
      if (size + line.length > options.maxBytes) {
        throw new SpoolError(`the recording spool reached its limit of ${options.maxBytes} bytes`, 'ERR_SPOOL_FULL');
      }
      let handle: number;
      try {
        handle = open();
      } catch (error) {
        throw new SpoolError(`could not open the recording spool ${path}: ${(error as Error).message}`, 'ERR_SPOOL_WRITE');
      }
      try {
        let written = 0;
        while (written < line.length) written += writeSync(handle, line, written);
        fdatasyncSync(handle);
        size += line.length;
      } catch (error) {
        // No torn line stays behind to be read as a batch later.
        try {
          ftruncateSync(handle, size);
        } catch {
          // The last line is then torn and skipped when the spool is read.
        }
        const code = (error as NodeJS.ErrnoException).code === 'ENOSPC' ? 'ERR_SPOOL_FULL' : 'ERR_SPOOL_WRITE';
        throw new SpoolError(`could not write to the recording spool ${path}: ${(error as Error).message}`, code);
      }
    },
    reject(batch, reason) {
      const rejected = path.replace(/\.spool$/, '.rejected');
      mkdirSync(options.dir, { recursive: true, mode: 0o700 });
      appendFileSync(rejected, `${JSON.stringify({ reason, batch })}\n`, { mode: 0o600 });
      return rejected;
    },
    clear() {
      if (fd === null) return;
      closeSync(fd);
      fd = null;
      size = 0;
      unlinkSync(path);
    },
    size: () => size,
    close() {
      if (fd === null) return;
      closeSync(fd);
      fd = null;
      if (size === 0) unlinkSync(path);
    },
  };
}

export interface LeftoverSpool {
  path: string;
  batches: RecordBatch[];
  /** Complete lines that could not be read as a batch (damage). */
  unreadable: number;
  /** A last line without its newline: a write the crash cut off, never acknowledged, so never relied on. */
  torn: boolean;
}

/**
 * Spools left by gateway processes that are gone (killed, crashed, stopped while the
 * database was away), oldest batch first in each. A spool of a process still running on
 * this machine is left to it.
 */
export function leftoverSpools(dir: string, self: { id: string; pid: number }, isAlive: (pid: number) => boolean): LeftoverSpool[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const found: LeftoverSpool[] = [];
  for (const name of names.sort()) {
    const m = /^(.+)\.(\d+)\.spool$/.exec(name);
    if (!m) continue;
    const [, id, pidText] = m;
    const pid = Number(pidText);
    if (id === self.id || (pid !== self.pid && isAlive(pid))) continue;
    const path = join(dir, name);
    const batches: RecordBatch[] = [];
    let unreadable = 0;
    const lines = readFileSync(path, 'utf8').split('\n');
    // After the last newline: empty, or a write cut off before its sync.
    const torn = lines.pop() !== '';
    for (const line of lines) {
      try {
        const batch = JSON.parse(line) as RecordBatch;
        if (typeof batch.id !== 'string' || typeof batch.at !== 'string') throw new Error('not a batch');
        batches.push(batch);
      } catch {
        unreadable++;
      }
    }
    found.push({ path, batches, unreadable, torn });
  }
  return found;
}

/** A spool whose batches are all written; one with unreadable lines is kept aside for a person to look at. */
export function retireSpool(spool: LeftoverSpool): string | null {
  if (spool.unreadable === 0) {
    unlinkSync(spool.path);
    return null;
  }
  const kept = `${spool.path}.unreadable`;
  renameSync(spool.path, kept);
  return kept;
}

/** Whether a process with this pid runs on this machine. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
