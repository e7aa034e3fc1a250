import { randomBytes } from 'node:crypto';
import { createAuditLog } from '@access/audit';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@access/db';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newGatewayId, startPresence } from '../presence.ts';
import { createPostgresRecorder } from './postgres-recorder.ts';
import { endedSessions } from './record-batch.ts';
import { testRecordWriter } from './testing/test-writer.ts';
import type { SessionRecorder, SessionStart } from './session-recorder.ts';
import { createTranscriber, type Transcriber } from './transcriber.ts';
import { renderTranscript, TRANSCRIPT_LIMITS } from './transcript.ts';
import { storeTranscript } from './transcript-store.ts';

const GATEWAY = 'gw_00000000000000aa';

describe.each(testDatabaseKinds())('transcripts, on %s', (kind) => {
  let database: TestDatabase;
  let recorder: SessionRecorder;
  let transcriber: Transcriber;
  const logged: string[] = [];
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const now = new Date();
    await database.db.insertInto('gateways').values({ id: GATEWAY, address: '127.0.0.1:3022', started_at: now, heartbeat_at: now }).execute();
    transcriber = createTranscriber({ db: database.db, clock: () => new Date(), log: (l) => logged.push(l), catchUpMs: 0, leftoverAfterMs: 60_000 });
    recorder = createPostgresRecorder({
      writer: testRecordWriter(database.db, createAuditLog(database.db, () => new Date()), {
        onWritten: (batch) => endedSessions(batch).forEach(transcriber.enqueue),
      }),
      clock: () => new Date(),
      gatewayId: GATEWAY,
      flushIntervalMs: 60_000,
      maxRecordingBytes: 1 << 20,
    });
  });
  afterAll(async () => {
    await recorder?.close();
    await transcriber?.close();
    await database?.close();
  });

  const base: Omit<SessionStart, 'kind' | 'command' | 'pty'> = {
    connectionId: 'con_1',
    user: { id: 'usr_a', email: 'a@example.com' },
    login: 'alice',
    host: { name: 'web-1', address: '10.0.0.1:22' },
    clientAddress: null,
    upstreamSerial: '1',
  };
  const stored = (id: string) => database.db.selectFrom('session_transcripts').selectAll().where('session_id', '=', id).executeTakeFirst();
  const found = async (query: string) =>
    (await sql<{ session_id: string }>`select session_id from session_transcripts where search @@ websearch_to_tsquery('simple', ${query}) order by session_id`.execute(database.db)).rows.map((r) => r.session_id);

  it('writes the transcript once the end is committed: the screen as text, searchable', async () => {
    const s = await recorder.start({ ...base, kind: 'shell', command: null, pty: { term: 'xterm', cols: 80, rows: 24 } });
    s.event('o', '$ ');
    s.event('i', 'echo Zebra-crossing\r');
    s.event('o', 'echo Zebra-crossing\r\nZebra-crossing\r\n\x1b[31mred alert\x1b[0m\r\n$ ');
    await recorder.flush();
    expect(await stored(s.id)).toBeUndefined();
    await s.end({ exitStatus: 0, exitSignal: null, reason: null });
    await transcriber.idle();

    const row = await stored(s.id);
    expect(row?.text).toBe('$ echo Zebra-crossing\nZebra-crossing\nred alert\n$\n');
    expect(row).toMatchObject({ truncated: false, searchable_chars: row!.text.length });
    expect((await database.db.selectFrom('sessions').select('transcribed_at').where('id', '=', s.id).executeTakeFirstOrThrow()).transcribed_at).not.toBeNull();
    expect(await found('zebra')).toEqual([s.id]);
    expect(await found('"red alert"')).toEqual([s.id]);
    expect(await found('crossing -red')).toEqual([]);
    expect(await found('giraffe')).toEqual([]);
  });

  it('starts an exec session with its command, and keeps what went to stdin when there is no terminal', async () => {
    const s = await recorder.start({ ...base, kind: 'exec', command: 'sh -s\u001b[2J', pty: null });
    s.event('i', 'echo hi\r\nexit\n');
    s.event('o', 'hi\n');
    s.event('e', 'warning: low disk\n');
    await s.end({ exitStatus: 0, exitSignal: null, reason: null });
    await transcriber.idle();
    expect((await stored(s.id))?.text).toBe('$ sh -s\\x1b[2J\nhi\nwarning: low disk\n--- input ---\necho hi\nexit\n');
  });

  it('renders the same text in small slices, and keeps its bounds', async () => {
    const s = await recorder.start({ ...base, kind: 'shell', command: null, pty: { term: 'xterm', cols: 20, rows: 5 } });
    for (let i = 0; i < 50; i++) s.event('o', `line ${i} ü ${'x'.repeat(i % 30)}\r\n`);
    s.event('m', 'ended by the gateway: locked');
    await s.end({ exitStatus: null, exitSignal: null, reason: 'locked' });
    const session = { id: s.id, kind: 'shell' as const, command: null, term: 'xterm', cols: 20, rows: 5 };
    const whole = await renderTranscript(database.db, session);
    expect(whole.text.split('\n')).toHaveLength(52);
    expect(whole.text).toContain('line 49 ü xxxxxxxxxxxxxxxxxxx\n[note: ended by the gateway: locked]\n');
    expect(await renderTranscript(database.db, session, { ...TRANSCRIPT_LIMITS, sliceChars: 7 })).toEqual(whole);
    // 8 bytes end inside the ü (2 bytes in UTF-8): it is left out, not cut in two.
    const short = await renderTranscript(database.db, session, { ...TRANSCRIPT_LIMITS, maxTextBytes: 8 });
    expect(short).toEqual({ text: 'line 0 ', truncated: true });
    const fewer = await renderTranscript(database.db, session, { ...TRANSCRIPT_LIMITS, maxOutputChars: 40 });
    // Output is read until 40 characters were passed: four lines of 11 to 14.
    expect(fewer).toEqual({ text: 'line 0 ü\nline 1 ü x\nline 2 ü xx\nline 3 ü xxx\n', truncated: true });
  });

  it('indexes a shorter prefix when the words would not fit in a tsvector', { timeout: 60_000 }, async () => {
    const s = await recorder.start({ ...base, kind: 'shell', command: null, pty: null });
    await s.end({ exitStatus: 0, exitSignal: null, reason: null });
    await transcriber.idle();
    // ~900 KB of distinct words: more than a tsvector's 1 MB of lexemes and positions.
    const words = Array.from({ length: 150_000 }, () => randomBytes(3).toString('hex'));
    const text = `needle ${words.join(' ')}\n`;
    const searchable = await storeTranscript(database.db, s.id, { text, truncated: false }, new Date());
    expect(searchable).toBeGreaterThan(100_000);
    expect(searchable).toBeLessThan(text.length);
    expect(await stored(s.id)).toMatchObject({ text, searchable_chars: searchable });
    expect(await found('needle')).toEqual([s.id]);
  });

  it('transcribes the sessions a sweep marks interrupted, up to their last flush', async () => {
    const s = await recorder.start({ ...base, kind: 'shell', command: null, pty: { term: 'xterm', cols: 80, rows: 24 } });
    s.event('o', 'before the crash\r\n');
    await recorder.flush();
    s.event('o', 'never flushed\r\n');
    // Another gateway on an embedded database: every session of an earlier one was interrupted.
    const presence = await startPresence({ gatewayId: newGatewayId(), db: database.db, audit: createAuditLog(database.db), clock: () => new Date(), address: 'x', heartbeatMs: 60_000, staleMs: 60_000, exclusive: true, onInterrupted: (ids) => ids.forEach(transcriber.enqueue) });
    await presence.stop();
    await transcriber.idle();
    expect(await stored(s.id)).toMatchObject({ text: 'before the crash\n', truncated: false });
  });

  it('catches up sessions nobody transcribed, never a live one, and stops when closed', async () => {
    const db = database.db;
    const insert = async (status: 'ended' | 'live' | 'interrupted', endedMinutesAgo: number | null) => {
      const id = `ses_${randomBytes(10).toString('hex')}`;
      const endedAt = endedMinutesAgo === null ? null : new Date(Date.now() - endedMinutesAgo * 60_000);
      await db
        .insertInto('sessions')
        .values({ id, connection_id: 'con_2', gateway_id: GATEWAY, user_id: 'usr_b', user_email: 'b@example.com', login: 'bob', host: 'web-1', host_address: '10.0.0.1:22', kind: 'exec', command: `leftover-${status}`, status, started_at: new Date(0), ended_at: endedAt })
        .execute();
      return id;
    };
    const old = await insert('interrupted', 10);
    const recent = await insert('ended', 0);
    const live = await insert('live', null);
    expect(await transcriber.catchUp()).toBe(1);
    await transcriber.idle();
    expect((await stored(old))?.text).toBe('$ leftover-interrupted\n');
    expect(await stored(recent)).toBeUndefined();
    transcriber.enqueue(live);
    await transcriber.idle();
    expect(await stored(live)).toBeUndefined();

    const closing = createTranscriber({ db, clock: () => new Date(), log: (l) => logged.push(l), catchUpMs: 0, leftoverAfterMs: 0 });
    await closing.close();
    closing.enqueue(recent);
    await closing.idle();
    expect(await stored(recent)).toBeUndefined();
    expect(logged).toEqual([]);
  });
});
