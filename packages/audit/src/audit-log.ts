import { randomUUID } from 'node:crypto';
import type { Database, Db } from '@access/db';
import { sql, type Transaction } from 'kysely';
import { AuditEventError, AuditStoreError } from './audit-errors.ts';
import { fromAuditEventRow, toAuditEventJson, toAuditEventRow } from './audit-record-row.ts';
import { canonicalJson, hashRecord } from './canonical.ts';
import { companionStatement, insertCompanionRows, type CompanionRows } from './companion-rows.ts';
import { AUDIT_EVENT_CODES, isAuditEventType } from './event-types.ts';
import { storableJsonValue, storableText } from './storable-text.ts';
import type { AuditActor, AuditEventInput, AuditEventType, AuditRecord } from './event-types.ts';
import { verifyChain, type ChainVerification } from './verify-chain.ts';

export type { ChainVerification } from './verify-chain.ts';
export type { CompanionRows } from './companion-rows.ts';

export interface AuditLog {
  /**
   * Appends in `executor` (a transaction the caller already opened, so the event commits or
   * rolls back with the caller's change) or, without one, in its own transaction. Locks
   * audit_head FOR UPDATE, so several processes appending concurrently still form one chain.
   *
   * The lock is held until the caller's transaction ends and every other append waits for
   * it: append last, just before commit. The transaction must be READ COMMITTED (the
   * default); under REPEATABLE READ a concurrent append makes it fail to serialize.
   */
  append(event: AuditEventInput, executor?: Transaction<Database>): Promise<AuditRecord>;
  /**
   * Appends several events in order under one lock, with one insert and one head update:
   * what a caller that commits many changes in one transaction (group commit) needs.
   */
  appendMany(events: readonly AuditEventInput[], executor?: Transaction<Database>): Promise<AuditRecord[]>;
  /**
   * Appends the events and inserts `rows` (the change they record) so that both commit or
   * neither does, usually in one statement and one round trip (see `appendMany` without an
   * executor): the certificate authority's path for each signed batch.
   */
  appendWithRows(events: readonly AuditEventInput[], rows: readonly CompanionRows[]): Promise<AuditRecord[]>;
  /** Walks the whole chain in seq order, page by page, and reports the first problem. */
  verify(): Promise<ChainVerification>;
  /** Newest first: events with seq < before (if given), of one type (if given), at most limit. */
  list(options?: ListAuditOptions): Promise<AuditRecord[]>;
}

export interface ListAuditOptions {
  before?: bigint;
  type?: AuditEventType;
  /** Default 100; larger values are capped at 1000. */
  limit?: number;
}

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;

export function createAuditLog(db: Db, clock: () => Date = () => new Date()): AuditLog {
  /**
   * The head this log last wrote (or saw written under its lock). An append without a
   * transaction of the caller's moves the chain on from it in one statement that checks
   * the head is still this one: no lock is held across round trips, and BEGIN, the locked
   * read and COMMIT are gone. If another writer moved the head meanwhile, that statement
   * changes nothing and the append takes the locking path, which reads the head afresh.
   *
   * The value may be ahead of what is committed (an append in a caller's transaction that
   * then rolls back): the check then fails and the locking path repairs it.
   */
  let knownHead: ChainHead | undefined;
  /** Appends of this log without a caller's transaction go one at a time, so they do not race each other for the head. */
  let queue: Promise<unknown> = Promise.resolve();

  const appendIn = async (trx: Transaction<Database>, events: readonly NormalizedEvent[]): Promise<AuditRecord[]> => {
    if (events.length === 0) return [];
    const head = await trx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).forUpdate().executeTakeFirst();
    if (!head) throw new AuditStoreError('audit_head has no row: the audit tables were not migrated');
    // Read the clock only once the lock is held, so times follow seq within one clock.
    const records = chain(head, events, clock());
    const last = records.at(-1)!;
    // One statement (a data-modifying CTE) for the rows and the new head: one round trip
    // less while the head is locked.
    await trx
      .with('inserted', (q) => q.insertInto('audit_events').values(records.map(toAuditEventRow)))
      .updateTable('audit_head')
      .set({ seq: last.seq, hash: last.hash })
      .where('id', '=', 1)
      .execute();
    knownHead = { seq: last.seq, hash: last.hash };
    return records;
  };

  /** One statement: the head moves on from `head` only if it is still there, and the events and rows go in only if it moved. */
  const appendOnHead = async (head: ChainHead, events: readonly NormalizedEvent[], rows: readonly CompanionRows[]): Promise<AuditRecord[] | undefined> => {
    const records = chain(head, events, clock());
    const last = records.at(-1)!;
    const { rows: result } = await sql<{ moved: number }>`
      with head as (
        update audit_head set seq = ${String(last.seq)}::bigint, hash = ${last.hash}
        where id = 1 and seq = ${String(head.seq)}::bigint and hash = ${head.hash}
        returning id
      ), events as (
        insert into audit_events (seq, id, time, type, code, actor, remote, details, prev_hash, hash)
        select r.seq, r.id, r.time, r.type, r.code, r.actor, r.remote, r.details, r.prev_hash, r.hash
        from head cross join jsonb_populate_recordset(null::audit_events, ${JSON.stringify(records.map(toAuditEventJson))}::jsonb) as r
      )${sql.join(
        rows.map((table, i) => sql`, ${sql.id(`rows_${i}`)} as (${companionStatement(table, sql`head cross join`)})`),
        sql``,
      )}
      select count(*)::int as moved from head`.execute(db);
    if (result[0]?.moved !== 1) return undefined;
    knownHead = { seq: last.seq, hash: last.hash };
    return records;
  };

  const appendAlone = (events: readonly NormalizedEvent[], rows: readonly CompanionRows[]): Promise<AuditRecord[]> => {
    const run = async () => {
      const head = knownHead;
      if (head && events.length > 0) {
        const records = await appendOnHead(head, events, rows);
        if (records) return records;
      }
      return db.transaction().execute(async (trx) => {
        for (const table of rows) await insertCompanionRows(trx, table);
        return appendIn(trx, events);
      });
    };
    const result = queue.then(run, run);
    queue = result.catch(() => undefined);
    return result;
  };

  const appendMany = async (events: readonly AuditEventInput[], executor?: Transaction<Database>): Promise<AuditRecord[]> => {
    const normalized = events.map(normalizeEvent);
    if (!executor) return appendAlone(normalized, []);
    // Outside a transaction the FOR UPDATE lock would end before the head is moved on.
    if (!executor.isTransaction) throw new TypeError('append: executor must be a transaction, not the database');
    return appendIn(executor, normalized);
  };

  return {
    async append(event, executor) {
      const [record] = await appendMany([event], executor);
      return record!;
    },

    appendMany,

    async appendWithRows(events, rows) {
      return appendAlone(
        events.map(normalizeEvent),
        rows.filter((table) => table.rows.length > 0),
      );
    },

    verify: () => verifyChain(db),

    async list(options = {}) {
      const limit = listLimit(options.limit);
      let query = db.selectFrom('audit_events').selectAll().orderBy('seq', 'desc').limit(limit);
      if (options.before !== undefined) query = query.where('seq', '<', options.before);
      if (options.type !== undefined) query = query.where('type', '=', options.type);
      const rows = await query.execute();
      return rows.map(fromAuditEventRow);
    },
  };
}

interface ChainHead {
  seq: bigint;
  hash: string;
}

/** The events as records continuing the chain from `head`, all at `time`. */
function chain(head: ChainHead, events: readonly NormalizedEvent[], time: Date): AuditRecord[] {
  const records: AuditRecord[] = [];
  let previous = head;
  for (const event of events) {
    const unhashed = { seq: previous.seq + 1n, id: randomUUID(), time, ...event, prevHash: previous.hash };
    const record: AuditRecord = { ...unhashed, hash: hashRecord(unhashed) };
    records.push(record);
    previous = record;
  }
  return records;
}

type NormalizedEvent = Pick<AuditRecord, 'type' | 'code' | 'actor' | 'remote' | 'details'>;

const ACTOR_KINDS: ReadonlySet<string> = new Set<AuditActor['kind']>(['user', 'token', 'cli', 'system', 'anonymous']);

/**
 * Checks the event and brings actor and details to the form they read back in from jsonb
 * (bigint and Date as strings, undefined properties gone, unstorable characters replaced),
 * so the record `append` returns equals the one `list` returns later.
 */
function normalizeEvent(event: AuditEventInput): NormalizedEvent {
  if (!isAuditEventType(event.type)) throw new AuditEventError(`unknown audit event type ${JSON.stringify(event.type)}`);
  const { actor, details } = event;
  if (!isRecord(actor) || !ACTOR_KINDS.has(actor.kind) || typeof actor.id !== 'string') {
    throw new AuditEventError(`${event.type}: actor needs a kind (${[...ACTOR_KINDS].join(', ')}) and an id`);
  }
  if (!isRecord(details)) throw new AuditEventError(`${event.type}: details must be an object`);
  if (event.remote != null && typeof event.remote !== 'string') throw new AuditEventError(`${event.type}: remote must be a string`);
  return {
    type: event.type,
    code: AUDIT_EVENT_CODES[event.type],
    actor: reencode(event.type, actor as unknown as AuditActor),
    remote: typeof event.remote === 'string' ? storableText(event.remote) : null,
    details: reencode(event.type, details),
  };
}

/** Same shape, except that bigint and Date values come back as strings, as from jsonb. */
function reencode<T extends object>(type: AuditEventType, value: T): T {
  try {
    return storableJsonValue(JSON.parse(canonicalJson(value))) as T;
  } catch (error) {
    throw new AuditEventError(`${type}: ${(error as Error).message}`, { cause: error });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function listLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIST_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`list: limit must be a positive integer, got ${limit}`);
  return Math.min(limit, MAX_LIST_LIMIT);
}
