import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAuditLog, type AuditLog } from '@access/audit';
import { createTestDatabase, openDatabase, testDatabaseKinds, type DatabaseHandle, type TestDatabase } from '@access/db';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyBatch, applyFlush, isFlushOnly, type RecordBatchParts } from './record-batch.ts';
import { startTcpRelay, type TcpRelay } from './testing/tcp-relay.ts';
import { testRecordWriter } from './testing/test-writer.ts';

const GATEWAY = 'gw_00000000000000ff';
const actor = { kind: 'user' as const, id: 'usr_w', name: 'w@example.com' };

/** A session start, `n` chunks of it, and its end, as the recorder makes them. */
function sessionBatches(id: string, n: number): RecordBatchParts[] {
  const at = new Date().toISOString();
  const start: RecordBatchParts = {
    sessions: [
      { id, connectionId: 'con_w', gatewayId: GATEWAY, userId: 'usr_w', userEmail: 'w@example.com', login: 'w', host: 'web-1', hostAddress: '10.0.0.1:22', clientAddress: null, kind: 'exec', command: 'cat', term: null, cols: null, rows: null, startedAt: at },
    ],
    events: [{ type: 'session.start', actor, details: { sessionId: id } }],
  };
  const chunks = Array.from({ length: n }, (_, seq) => ({
    chunks: [{ sessionId: id, seq, events: `[${seq},"o","${seq}"]`, eventCount: 1, lastTime: seq, createdAt: at }],
    counts: [{ id, bytesIn: 0, bytesOut: seq + 1, recordedUntil: at, truncated: false }],
  }));
  const end: RecordBatchParts = {
    ends: [{ id, bytesIn: 0, bytesOut: n, recordedUntil: at, truncated: false, endedAt: at, exitStatus: 0, exitSignal: null, reason: null }],
    events: [{ type: 'session.end', actor, details: { sessionId: id } }],
  };
  return [start, ...chunks, end];
}

describe.runIf(testDatabaseKinds().includes('postgres'))('the record writer, with PostgreSQL going away and back', () => {
  let database: TestDatabase;
  let relay: TcpRelay;
  let through: DatabaseHandle;
  let audit: AuditLog;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const url = new URL(database.url!);
    relay = await startTcpRelay({ host: url.hostname, port: Number(url.port || 5432) });
    url.port = String(relay.port);
    through = await openDatabase({ url: url.toString(), poolSize: 4, onPoolError: () => undefined });
    audit = createAuditLog(through.db);
    await database.db.insertInto('gateways').values({ id: GATEWAY, address: 'x', started_at: new Date(), heartbeat_at: new Date() }).execute();
  });
  afterAll(async () => {
    relay?.up();
    await through?.close();
    await relay?.close();
    await database?.close();
  });
  beforeEach(() => relay.up());

  const chunksOf = (id: string) => database.db.selectFrom('session_chunks').select(['seq', 'events']).where('session_id', '=', id).orderBy('seq').execute();
  const eventsOf = (id: string) =>
    database.db
      .selectFrom('audit_events')
      .select(['type', 'details'])
      .where(({ eb, ref }) => eb(eb.fn('jsonb_extract_path_text', [ref('details'), eb.val('sessionId')]), '=', id))
      .orderBy('seq')
      .execute();

  it('writes straight to the database while it is there, and leaves no spool file', async () => {
    const writer = testRecordWriter(through.db, audit);
    for (const b of sessionBatches('ses_00000000000000000001', 3)) await writer.write(b);
    expect(writer.state()).toBe('direct');
    expect((await chunksOf('ses_00000000000000000001')).map((c) => c.seq)).toEqual([0, 1, 2]);
    expect((await eventsOf('ses_00000000000000000001')).map((e) => e.type)).toEqual(['session.start', 'session.end']);
    expect(existsSync(writer.spoolDir)).toBe(false);
    await writer.close();
  });

  it('spools while the database is away and writes every batch exactly once when it is back', async () => {
    const logged: string[] = [];
    const writer = testRecordWriter(through.db, audit, { log: (l) => logged.push(l), retryMs: 100 });
    const batches = sessionBatches('ses_00000000000000000002', 5);
    await writer.write(batches[0]!);
    await writer.write(batches[1]!);
    relay.down();
    for (const b of batches.slice(2)) await writer.write(b);
    expect(writer.state()).toBe('spooling');
    expect(writer.pending()).toBe(5);
    // Synced to disk, one line per batch, only the owner may read it.
    const [file] = readdirSync(writer.spoolDir);
    const lines = readFileSync(join(writer.spoolDir, file!), 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { id: string }).id.replace(/^gw_test[0-9a-f]+:/, ''))).toEqual(['2', '3', '4', '5', '6']);
    expect((await chunksOf('ses_00000000000000000002')).map((c) => c.seq)).toEqual([0]);

    relay.up();
    expect(await writer.drained(10_000)).toBe(true);
    expect(writer.state()).toBe('direct');
    expect((await chunksOf('ses_00000000000000000002')).map((c) => c.events)).toEqual(['[0,"o","0"]', '[1,"o","1"]', '[2,"o","2"]', '[3,"o","3"]', '[4,"o","4"]']);
    const events = await eventsOf('ses_00000000000000000002');
    expect(events.map((e) => e.type)).toEqual(['session.start', 'session.end']);
    // Written from the spool: the event says when it happened.
    expect(events[0]!.details).not.toHaveProperty('occurredAt');
    expect(typeof (events[1]!.details as { occurredAt?: unknown }).occurredAt).toBe('string');
    const row = await database.db.selectFrom('sessions').select(['status', 'bytes_out']).where('id', '=', 'ses_00000000000000000002').executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'ended', bytes_out: 5n });
    expect(readdirSync(writer.spoolDir)).toEqual([]);
    expect(logged.some((l) => l.includes('the database is unreachable'))).toBe(true);
    expect(logged.some((l) => l.includes('every spooled recording and event is written'))).toBe(true);
    expect((await audit.verify()).ok).toBe(true);
    await writer.close();
  });

  it('ends sessions and refuses new ones when the spool is full, and writes what it held in memory once the database is back', async () => {
    const unrecordable: string[] = [];
    const writer = testRecordWriter(through.db, audit, { maxSpoolBytes: 1200, retryMs: 100, onUnrecordable: (r) => unrecordable.push(r) });
    const batches = sessionBatches('ses_00000000000000000003', 12);
    await writer.write(batches[0]!);
    relay.down();
    for (const b of batches.slice(1)) await writer.write(b);
    expect(unrecordable).toEqual(['recordings cannot be stored: the database is unreachable and the spool is full']);
    expect(writer.refusal()).toBe(unrecordable[0]);
    const [file] = readdirSync(writer.spoolDir);
    expect(readFileSync(join(writer.spoolDir, file!)).length).toBeLessThanOrEqual(1200);

    relay.up();
    expect(await writer.drained(10_000)).toBe(true);
    expect(writer.refusal()).toBeNull();
    expect((await chunksOf('ses_00000000000000000003')).map((c) => c.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect((await eventsOf('ses_00000000000000000003')).map((e) => e.type)).toEqual(['session.start', 'session.end']);
    await writer.close();
  });

  it('writes a flush (chunks and counts) in one statement, once, however often it is sent', async () => {
    const id = 'ses_00000000000000000005';
    const [start, ...rest] = sessionBatches(id, 2);
    await through.db.transaction().execute((trx) => applyBatch(trx, audit, { id: 'gw_flush:0', at: new Date().toISOString(), ...start! }, { fromSpool: false }));
    const flush = { id: 'gw_flush:1', at: new Date().toISOString(), ...rest[0]! };
    expect(isFlushOnly(flush)).toBe(true);
    expect(await applyFlush(through.db, flush)).toBe(true);
    expect(await applyFlush(through.db, flush)).toBe(false);
    expect((await chunksOf(id)).map((c) => c.events)).toEqual(['[0,"o","0"]']);
    const row = await database.db.selectFrom('sessions').select(['bytes_out', 'status']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ bytes_out: 1n, status: 'live' });
    // A counts-only flush (a session that only counted bytes since the last one) too.
    expect(await applyFlush(through.db, { id: 'gw_flush:2', at: new Date().toISOString(), counts: [{ id, bytesIn: 7, bytesOut: 9, recordedUntil: new Date().toISOString(), truncated: false }] })).toBe(true);
    expect(await database.db.selectFrom('sessions').select(['bytes_in', 'bytes_out']).where('id', '=', id).executeTakeFirstOrThrow()).toEqual({ bytes_in: 7n, bytes_out: 9n });
  });

  it('writes a spool left by a stopped gateway once, skipping batches already written and a torn last line', async () => {
    const writer = testRecordWriter(through.db, audit);
    const batches = sessionBatches('ses_00000000000000000004', 3).map((b, i) => ({ id: `gw_gone:${i}`, at: new Date().toISOString(), ...b }));
    // The first two were committed before the crash (one of them without an answer).
    await through.db.transaction().execute((trx) => applyBatch(trx, audit, batches[0]!, { fromSpool: false }));
    const dir = writer.spoolDir;
    mkdirSync(dir, { recursive: true });
    const deadPid = 4_000_000;
    writeFileSync(join(dir, `gw_gone.${deadPid}.spool`), `${batches.map((b) => JSON.stringify(b)).join('\n')}\n{"id":"gw_gone:9","at":`);
    // A spool of a process still running is its own.
    writeFileSync(join(dir, `gw_alive.${process.ppid}.spool`), `${JSON.stringify(batches[0])}\n`);

    const written = await writer.recover(dir, { pid: process.pid }, (pid) => pid === process.ppid);
    expect(written).toBe(4);
    expect(readdirSync(dir)).toEqual([`gw_alive.${process.ppid}.spool`]);
    expect(await writer.recover(dir, { pid: process.pid }, (pid) => pid === process.ppid)).toBe(0);
    expect((await chunksOf('ses_00000000000000000004')).map((c) => c.seq)).toEqual([0, 1, 2]);
    expect((await eventsOf('ses_00000000000000000004')).map((e) => e.type)).toEqual(['session.start', 'session.end']);
    await writer.close();
  });
});
