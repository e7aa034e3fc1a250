import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertChunks, insertGateway, insertSession } from '../testing/session-rows.ts';
import { recordingText } from './session-recording.ts';
import { ALL_SESSIONS } from './session-scope.ts';
import { getSession, listSessions, type SessionFilter } from './session-store.ts';

const at = (iso: string) => new Date(iso);

describe.each(testDatabaseKinds())('the session store, on %s', (kind) => {
  let database: TestDatabase;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const db = database.db;
    const gw = await insertGateway(db);
    ids['old'] = await insertSession(db, gw, { started_at: at('2030-01-01T08:00:00Z'), ended_at: at('2030-01-01T08:30:00Z'), exit_status: 0 });
    ids['bob'] = await insertSession(db, gw, { user_id: 'usr_bob', user_email: 'Bob@Example.com', login: 'bob', host: 'db-1', started_at: at('2030-01-01T09:00:00Z'), status: 'interrupted' });
    ids['live'] = await insertSession(db, gw, { started_at: at('2030-01-01T11:00:00Z'), status: 'live', kind: 'exec', command: 'uptime', bytes_in: 5n, bytes_out: 3_000_000_000n });
    // Three sessions of one connection, started in the same instant: the id breaks the tie.
    for (const n of ['a', 'b', 'c']) ids[n] = await insertSession(db, gw, { id: `ses_${n.repeat(20)}`, started_at: at('2030-01-01T10:00:00Z') });
  });
  afterAll(async () => {
    await database?.close();
  });

  const list = (filter: Partial<SessionFilter> = {}) => listSessions(database.db, { limit: 100, ...filter }, ALL_SESSIONS).then((s) => s.map((x) => x.id));

  it('reads one session with every field', async () => {
    const s = await getSession(database.db, ids['live']!, ALL_SESSIONS);
    expect(s).toMatchObject({ id: ids['live'], user: { id: 'usr_alice', email: 'alice@example.com' }, kind: 'exec', command: 'uptime', status: 'live', endedAt: null, exitStatus: null });
    expect(s).toMatchObject({ host: 'web-1', hostAddress: '10.0.0.1:22', clientAddress: '192.0.2.7', term: 'xterm-256color', cols: 120, rows: 40, recordingTruncated: false });
    expect([s.bytesIn, s.bytesOut]).toEqual([5n, 3_000_000_000n]);
    expect(s.startedAt).toEqual(at('2030-01-01T11:00:00Z'));
  });

  it('answers 404 for an unknown session and 400 for a malformed id', async () => {
    await expect(getSession(database.db, 'ses_00000000000000000000', ALL_SESSIONS)).rejects.toMatchObject({ status: 404, code: 'ERR_UNKNOWN_SESSION' });
    await expect(getSession(database.db, 'ses_123', ALL_SESSIONS)).rejects.toMatchObject({ status: 400, code: 'ERR_BAD_SESSION_ID' });
    await expect(getSession(database.db, "ses_' or 1=1 --", ALL_SESSIONS)).rejects.toMatchObject({ status: 400 });
  });

  it('lists newest first, ties broken by id', async () => {
    expect(await list()).toEqual([ids['live'], ids['c'], ids['b'], ids['a'], ids['bob'], ids['old']]);
  });

  it('filters by person (any case), host, start time and liveness', async () => {
    expect(await list({ userEmail: 'bob@example.COM' })).toEqual([ids['bob']]);
    expect(await list({ host: 'db-1' })).toEqual([ids['bob']]);
    expect(await list({ since: at('2030-01-01T10:00:00Z'), until: at('2030-01-01T11:00:00Z') })).toEqual([ids['c'], ids['b'], ids['a']]);
    expect(await list({ live: true })).toEqual([ids['live']]);
    expect(await list({ live: false, userEmail: 'alice@example.com', limit: 2 })).toEqual([ids['c'], ids['b']]);
  });

  it('pages with the last id of a page, missing and repeating nothing across equal start times', async () => {
    const seen: string[] = [];
    let before: SessionFilter['before'];
    for (;;) {
      const page = await list({ limit: 2, before });
      if (page.length === 0) break;
      seen.push(...page);
      before = { sessionId: page[page.length - 1]! };
    }
    expect(seen).toEqual(await list());
    expect(await list({ before: { time: at('2030-01-01T10:00:00Z') } })).toEqual([ids['bob'], ids['old']]);
    await expect(list({ before: { sessionId: 'ses_ffffffffffffffffffff' } })).rejects.toMatchObject({ status: 400, code: 'ERR_BAD_CURSOR' });
  });

  it('refuses a limit outside 1..1000', async () => {
    for (const limit of [0, 1001, 1.5]) await expect(list({ limit })).rejects.toMatchObject({ status: 400 });
  });

  it('streams a recording: the header, then chunk lines in seq order, a page of chunks at a time', async () => {
    const db = database.db;
    const gw = await insertGateway(db);
    const id = await insertSession(db, gw, { login: 'root', host: 'web-2', cols: null, rows: null, term: null, started_at: at('2030-01-02T00:00:00.900Z') });
    const chunks = [['[0.1,"o","a"]', '[0.2,"o","b"]'], ['[1,"i","ls\\r"]'], ['[2,"o","x\\n"]'], ['[3,"r","100x30"]'], ['[4,"o","end"]']];
    await insertChunks(db, id, chunks);
    const pieces: string[] = [];
    for await (const piece of recordingText(db, await getSession(db, id, ALL_SESSIONS), { pageSize: 2 })) pieces.push(piece);
    const lines = pieces.join('').split('\n');
    expect(JSON.parse(lines[0]!)).toEqual({ version: 2, width: 80, height: 24, timestamp: 1893542400, env: { TERM: 'xterm' }, title: 'root@web-2 by alice@example.com' });
    expect(lines.slice(1)).toEqual([...chunks.flat(), '']);
    expect(pieces).toHaveLength(6);
  });

  it('gives a session without chunks just the header, with its terminal', async () => {
    const text: string[] = [];
    for await (const piece of recordingText(database.db, await getSession(database.db, ids['old']!, ALL_SESSIONS))) text.push(piece);
    expect(text).toEqual([`${JSON.stringify({ version: 2, width: 120, height: 40, timestamp: 1893484800, env: { TERM: 'xterm-256color' }, title: 'alice@web-1 by alice@example.com' })}\n`]);
  });
});
