import { createAuditLog } from '@access/audit';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresRecorder } from './postgres-recorder.ts';
import { testRecordWriter } from './testing/test-writer.ts';

describe.each(testDatabaseKinds())('the PostgreSQL recorder, on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const now = new Date();
    await database.db.insertInto('gateways').values({ id: 'gw_0123456789abcdef', address: '127.0.0.1:3022', started_at: now, heartbeat_at: now }).execute();
  });
  afterAll(async () => {
    await database?.close();
  });

  it('flushes chunks and counts for every session in one go, then ends each with its audit event', async () => {
    let mono = 0;
    const recorder = createPostgresRecorder({
      writer: testRecordWriter(database.db, createAuditLog(database.db, () => new Date())),
      clock: () => new Date(),
      gatewayId: 'gw_0123456789abcdef',
      flushIntervalMs: 60_000,
      maxRecordingBytes: 1024,
      monotonic: () => mono,
    });
    const base = { connectionId: 'con_1', login: 'alice', host: { name: 'web-1', address: '10.0.0.1:22' }, clientAddress: '10.9.9.9', command: null, pty: null, upstreamSerial: '9' };
    const a = await recorder.start({ ...base, user: { id: 'usr_a', email: 'a@example.com' }, kind: 'shell' });
    const b = await recorder.start({ ...base, user: { id: 'usr_b', email: 'b@example.com' }, kind: 'exec', command: 'cat' });
    mono = 1500;
    a.event('o', '\ufffd', 1);
    a.event('i', 'ls\r');
    b.count('in', 5000);
    await recorder.flush();

    const rows = await database.db.selectFrom('sessions').select(['id', 'bytes_in', 'bytes_out', 'recorded_until', 'status']).orderBy('user_email').execute();
    expect(rows.map((r) => [r.id, Number(r.bytes_in), Number(r.bytes_out), r.status])).toEqual([
      [a.id, 3, 1, 'live'],
      [b.id, 5000, 0, 'live'],
    ]);
    expect(rows[0]!.recorded_until).not.toBeNull();
    const chunks = await database.db.selectFrom('session_chunks').select(['session_id', 'seq', 'events']).execute();
    expect(chunks).toEqual([{ session_id: a.id, seq: 0, events: '[1.5,"o","\ufffd"]\n[1.5,"i","ls\\r"]' }]);

    await a.end({ exitStatus: 0, exitSignal: null, reason: null });
    await b.end({ exitStatus: null, exitSignal: 'TERM', reason: null });
    const ended = await database.db.selectFrom('sessions').select(['status', 'exit_status', 'exit_signal']).orderBy('user_email').execute();
    expect(ended).toEqual([
      { status: 'ended', exit_status: 0, exit_signal: null },
      { status: 'ended', exit_status: null, exit_signal: 'TERM' },
    ]);
    const events = await database.db.selectFrom('audit_events').select('type').orderBy('seq').execute();
    expect(events.map((e) => e.type)).toEqual(['session.start', 'session.start', 'session.exec', 'session.end', 'session.end']);
    await recorder.close();
  });
});
