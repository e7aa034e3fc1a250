import type { AuditEventInput, AuditLog } from '@access/audit';
import type { Db } from '@access/db';
import { sql } from 'kysely';
import { applyBatch, applyFlush, isFlushOnly, type RecordBatch, type RecordBatchParts } from './record-batch.ts';
import { leftoverSpools, retireSpool, SpoolError, type RecordSpool } from './record-spool.ts';
import { isTransientWriteError, withTimeout } from './transient-error.ts';

export interface RecordWriterDeps {
  db: Db;
  audit: AuditLog;
  spool: RecordSpool;
  clock: () => Date;
  log: (line: string) => void;
  /** How often a spooled batch is tried again (ms). */
  retryMs: number;
  /** A write not committed in this long is treated as failed and spooled (ms); it may still commit, which the batch id makes harmless. */
  writeTimeoutMs: number;
  /** Told each batch once it is in the database (from either path). */
  onWritten?: (batch: RecordBatch) => void;
  /**
   * The database is away and the spool cannot take more: what the gateway carries now would
   * go unrecorded. The gateway ends its sessions and refuses new ones until everything held is
   * written (see `refusal`).
   */
  onUnrecordable?: (reason: string) => void;
  /**
   * How long the ids of written batches are kept (ms; pruned hourly). A batch spooled and
   * replayed later than this after it was written could be written twice.
   */
  keepBatchIdsMs?: number;
}

/** Written batch ids are kept this long: far longer than any outage a spool is for. */
export const KEEP_BATCH_IDS_MS = 30 * 24 * 3600 * 1000;
const PRUNE_EVERY_MS = 3600 * 1000;

/** Where the writer stands: writing straight to the database, or holding batches until it is back. */
export type WriterState = 'direct' | 'spooling';

export interface RecordWriter {
  /**
   * Resolves once the batch is committed or, while the database is away, synced to the
   * spool. Rejects on a write the database refused for a reason retrying cannot fix.
   */
  write(parts: RecordBatchParts): Promise<void>;
  /** One audit event through the same path (so it is spooled like the recordings). */
  append(event: AuditEventInput): Promise<void>;
  state(): WriterState;
  /** Batches not in the database yet. */
  pending(): number;
  /** Why a new session must be refused now, or null. */
  refusal(): string | null;
  /** Writes the batches spooled by gateway processes that are gone; returns how many batches were written. */
  recover(dir: string, self: { pid: number }, isAlive: (pid: number) => boolean): Promise<number>;
  /** Resolves once nothing is held (or after `ms`); false if batches are still held. */
  drained(ms: number): Promise<boolean>;
  /** Stops retrying; what is still held stays in the spool for the next start. */
  close(): Promise<void>;
}

/**
 * Writes recording batches and audit events to the database and, while it is unreachable,
 * to the local spool, in order, retrying every `retryMs` until the database takes them.
 * Once something is held, later batches queue behind it, so a session's chunks, its end
 * and its events keep their order. Each batch is stored with its id in the same
 * transaction, so one that was committed but not acknowledged is not written twice.
 */
export function createRecordWriter(deps: RecordWriterDeps): RecordWriter {
  const { db, audit, spool, log } = deps;
  let next = 0;
  /** Batches not yet in the database, oldest first; each is in the spool unless `unrecordable`. */
  const held: RecordBatch[] = [];
  let unrecordable: string | null = null;
  let draining: Promise<void> | null = null;
  let retry: NodeJS.Timeout | null = null;
  let closed = false;
  const waiters = new Set<() => void>();
  const keepSeconds = Math.round((deps.keepBatchIdsMs ?? KEEP_BATCH_IDS_MS) / 1000);
  const prune = setInterval(() => {
    db.deleteFrom('record_batches_applied')
      .where('applied_at', '<', sql<Date>`now() - make_interval(secs => ${keepSeconds})`)
      .execute()
      .catch((error: unknown) => log(`could not prune written batch ids: ${(error as Error).message}`));
  }, PRUNE_EVERY_MS);
  prune.unref();

  const apply = (batch: RecordBatch, fromSpool: boolean) =>
    withTimeout(
      isFlushOnly(batch) ? applyFlush(db, batch) : db.transaction().execute((trx) => applyBatch(trx, audit, batch, { fromSpool })),
      deps.writeTimeoutMs,
    );

  function hold(batch: RecordBatch, why: unknown): void {
    if (held.length === 0) log(`the database is unreachable (${(why as Error).message}); holding recordings and audit events in the spool until it is back`);
    held.push(batch);
    if (unrecordable === null) {
      try {
        spool.append(batch);
      } catch (error) {
        unrecordable =
          error instanceof SpoolError
            ? `recordings cannot be stored: the database is unreachable and ${error.code === 'ERR_SPOOL_FULL' ? 'the spool is full' : 'the spool cannot be written'}`
            : `recordings cannot be stored: ${(error as Error).message}`;
        log(`${unrecordable} (${(error as Error).message}); ending sessions and refusing new ones until the database takes what is held`);
        deps.onUnrecordable?.(unrecordable);
      }
    }
    scheduleRetry();
  }

  function scheduleRetry(): void {
    if (retry || draining || closed) return;
    retry = setTimeout(() => {
      retry = null;
      draining = drain().finally(() => {
        draining = null;
        if (held.length > 0) scheduleRetry();
      });
    }, deps.retryMs);
    retry.unref();
  }

  async function drain(): Promise<void> {
    while (held.length > 0 && !closed) {
      const batch = held[0]!;
      try {
        await apply(batch, true);
        deps.onWritten?.(batch);
      } catch (error) {
        if (isTransientWriteError(error)) return;
        // Retrying cannot fix it: it is kept aside for a person, and the rest goes on.
        const where = spool.reject(batch, (error as Error).message);
        log(`the database refuses spooled batch ${batch.id} (${(error as Error).message}); it is kept in ${where}`);
      }
      held.shift();
    }
    if (held.length === 0 && !closed) {
      // Synchronously with the check above: no batch can slip in between.
      spool.clear();
      if (unrecordable) log('the database has every held recording and event; sessions are accepted again');
      else log('the database is back; every spooled recording and event is written');
      unrecordable = null;
      for (const wake of waiters) wake();
    }
  }

  async function write(parts: RecordBatchParts): Promise<void> {
    const batch: RecordBatch = { ...parts, id: `${spool.id}:${next++}`, at: deps.clock().toISOString() };
    if (held.length === 0) {
      try {
        await apply(batch, false);
        deps.onWritten?.(batch);
        return;
      } catch (error) {
        if (!isTransientWriteError(error)) throw error;
        hold(batch, error);
        return;
      }
    }
    hold(batch, new Error('earlier batches are still held'));
  }

  return {
    write,
    append: (event) => write({ events: [event] }),
    state: () => (held.length > 0 ? 'spooling' : 'direct'),
    pending: () => held.length,
    refusal: () => unrecordable,
    async recover(dir, self, isAlive) {
      let written = 0;
      for (const leftover of leftoverSpools(dir, { id: spool.id, pid: self.pid }, isAlive)) {
        for (const batch of leftover.batches) {
          if (await db.transaction().execute((trx) => applyBatch(trx, audit, batch, { fromSpool: true }))) written++;
          deps.onWritten?.(batch);
        }
        const kept = retireSpool(leftover);
        log(
          `wrote ${leftover.batches.length} batch(es) a stopped gateway left in ${leftover.path}` +
            (kept ? `; ${leftover.unreadable} unreadable line(s) kept in ${kept}` : ''),
        );
      }
      return written;
    },
    drained(ms) {
      if (held.length === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (value: boolean) => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(value);
        };
        const wake = () => done(true);
        const timer = setTimeout(() => done(held.length === 0), ms);
        waiters.add(wake);
        if (!draining && retry) {
          // Try now rather than at the next tick of the retry timer.
          clearTimeout(retry);
          retry = null;
          draining = drain().finally(() => {
            draining = null;
            if (held.length > 0) scheduleRetry();
          });
        }
      });
    },
    async close() {
      clearInterval(prune);
      if (held.length > 0 && !draining) {
        if (retry) clearTimeout(retry);
        retry = null;
        draining = drain().finally(() => (draining = null));
      }
      await draining;
      closed = true;
      if (retry) clearTimeout(retry);
      if (held.length > 0) {
        log(
          unrecordable
            ? `${held.length} recording batch(es) could not be stored (the database is unreachable and the spool cannot take them): they are lost`
            : `${held.length} recording batch(es) stay in the spool; the next gateway start writes them`,
        );
      }
      spool.close();
    },
  };
}
