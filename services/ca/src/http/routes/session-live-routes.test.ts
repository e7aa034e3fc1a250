import { LOCKS_CHANNEL, testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecordingSince } from '../../sessions/session-recording.ts';
import { ALL_SESSIONS } from '../../sessions/session-scope.ts';
import { getSession } from '../../sessions/session-store.ts';
import { insertChunks, insertGateway, insertSession } from '../../testing/session-rows.ts';
import { createTestCa, type TestCa } from '../../testing/test-ca.ts';
import { auditHead, callerWith, lastAudit, signedInPerson, type Person } from './route-test-kit.ts';

describe.each(testDatabaseKinds())('following and terminating live sessions, on %s', (kind) => {
  let ca: TestCa;
  let auditor: Person;
  let admin: Person;
  let gw: string;
  beforeAll(async () => {
    ca = await createTestCa(kind);
    gw = await insertGateway(ca.services.database.db);
    auditor = await signedInPerson(ca, 'auditor@example.com', ['auditor']);
    admin = await signedInPerson(ca, 'admin@example.com', ['admin']);
  });
  afterAll(async () => {
    await ca?.close();
  });

  const db = () => ca.services.database.db;
  const as = (person: Person) => callerWith(ca, person.token);
  const reads = async () => (await ca.services.audit.list({ type: 'session.recording.read', limit: 1000 })).length;
  const addChunk = (id: string, seq: number, line: string) =>
    db().insertInto('session_chunks').values({ session_id: id, seq, events: line, event_count: 1, last_time: seq, created_at: new Date() }).execute();

  it('answers ?after=<seq> with only the chunks flushed since, and audits the first read only', async () => {
    const id = await insertSession(db(), gw, { status: 'live' });
    await insertChunks(db(), id, [['[0.1,"o","$ "]'], ['[0.9,"i","l"]']]);
    const before = await reads();
    const first = await as(auditor)('GET', `/v1/sessions/${id}/recording`);
    expect([first.statusCode, first.headers['x-access-chunk-seq'], first.headers['x-access-session-status']]).toEqual([200, '1', 'live']);
    expect(first.body.split('\n').slice(1)).toEqual(['[0.1,"o","$ "]', '[0.9,"i","l"]', '']);
    expect(await reads()).toBe(before + 1);

    await addChunk(id, 2, '[1.5,"i","s\\r"]\n[1.6,"o","ls\\r\\n"]');
    const poll = await as(auditor)('GET', `/v1/sessions/${id}/recording?after=1`);
    expect([poll.statusCode, poll.headers['x-access-chunk-seq'], poll.headers['x-access-more'], poll.body]).toEqual([200, '2', 'false', '[1.5,"i","s\\r"]\n[1.6,"o","ls\\r\\n"]\n']);
    const idle = await as(auditor)('GET', `/v1/sessions/${id}/recording?after=2`);
    expect([idle.headers['x-access-chunk-seq'], idle.body]).toEqual(['2', '']);

    await addChunk(id, 3, '[2,"o","file\\r\\n"]');
    await db().updateTable('sessions').set({ status: 'ended', ended_at: new Date() }).where('id', '=', id).execute();
    const last = await as(auditor)('GET', `/v1/sessions/${id}/recording?after=2`);
    expect([last.headers['x-access-chunk-seq'], last.headers['x-access-session-status'], last.body]).toEqual(['3', 'ended', '[2,"o","file\\r\\n"]\n']);
    // Polls are not new reads.
    expect(await reads()).toBe(before + 1);
  });

  it('audits a reader who starts with ?after= once, so following skips no record', async () => {
    const id = await insertSession(db(), gw, { status: 'live' });
    await insertChunks(db(), id, [['[0.1,"o","secret-ish output"]']]);
    const before = await reads();
    const sneaky = await as(admin)('GET', `/v1/sessions/${id}/recording?after=-1`);
    expect([sneaky.headers['x-access-chunk-seq'], sneaky.body]).toEqual(['0', '[0.1,"o","secret-ish output"]\n']);
    await as(admin)('GET', `/v1/sessions/${id}/recording?after=0`);
    expect(await reads()).toBe(before + 1);
    expect((await lastAudit(ca, 'session.recording.read'))?.actor).toMatchObject({ id: admin.user.id });
  });

  it('gives the web UI the same: the header on the first read, then what came after', async () => {
    const id = await insertSession(db(), gw, { status: 'live', cols: 100, rows: 30 });
    const session = await getSession(db(), id, ALL_SESSIONS);
    expect(await readRecordingSince(db(), session, null)).toEqual({ text: expect.stringMatching(/^\{"version":2,"width":100,"height":30,.*\}\n$/), lastSeq: -1, status: 'live', more: false });
    await insertChunks(db(), id, [['[0.2,"o","a"]'], ['[0.4,"o","b"]']]);
    expect(await readRecordingSince(db(), session, 0)).toEqual({ text: '[0.4,"o","b"]\n', lastSeq: 1, status: 'live', more: false });
  });

  it.each([
    ['?after=x', /after must be a chunk seq/],
    ['?after=-2', /after must be a chunk seq/],
    ['?after=1.5', /after must be a chunk seq/],
    ['?after=99999999999', /after must be a chunk seq/],
    ['?from=3', /unknown query parameter "from"/],
  ])('answers 400 to recording%s', async (query, message) => {
    const id = await insertSession(db(), gw, { status: 'live' });
    const response = await as(auditor)('GET', `/v1/sessions/${id}/recording${query}`);
    expect([response.statusCode, response.json().error.message]).toEqual([400, expect.stringMatching(message)]);
  });

  it('lets an admin terminate a live session: audited with the reason, and the gateways told', async () => {
    const id = await insertSession(db(), gw, { status: 'live', user_id: 'usr_bob', user_email: 'bob@example.com', login: 'deploy', host: 'db-1' });
    const notices: string[] = [];
    const unlisten = await ca.services.database.listen(LOCKS_CHANNEL, (payload) => notices.push(payload));
    try {
      const response = await as(admin)('POST', `/v1/sessions/${id}/terminate`, { reason: 'suspicious activity' });
      expect([response.statusCode, response.json()]).toEqual([202, expect.objectContaining({ id, status: 'live' })]);
      for (let i = 0; i < 100 && notices.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await unlisten();
    }
    expect(notices.map((n) => JSON.parse(n))).toEqual([{ kind: 'terminate', sessionId: id, gatewayId: gw, reason: 'suspicious activity' }]);
    const event = await lastAudit(ca, 'session.terminated');
    expect(event).toMatchObject({ code: 'SE1005I', actor: { kind: 'user', id: admin.user.id, name: 'admin@example.com' } });
    expect(event?.details).toEqual({ sessionId: id, connectionId: 'conn_1', userId: 'usr_bob', user: 'bob@example.com', login: 'deploy', host: 'db-1', gatewayId: gw, reason: 'suspicious activity' });
    // Without a body, or an empty reason: no reason.
    expect((await callerWith(ca, ca.adminToken)('POST', `/v1/sessions/${id}/terminate`)).statusCode).toBe(202);
    expect((await lastAudit(ca, 'session.terminated'))?.details).toMatchObject({ reason: null });
  });

  it('refuses an auditor with 403, a session that is not live with 409, and bad input with 400', async () => {
    const live = await insertSession(db(), gw, { status: 'live' });
    const ended = await insertSession(db(), gw, { status: 'ended', ended_at: new Date('2030-01-01T10:05:00Z') });
    const head = await auditHead(ca);
    const denied = await as(auditor)('POST', `/v1/sessions/${live}/terminate`, { reason: 'x' });
    expect([denied.statusCode, denied.json().error.code]).toEqual([403, 'ERR_FORBIDDEN']);
    expect((await lastAudit(ca, 'auth.denied'))?.details).toMatchObject({ route: '/v1/sessions/:id/terminate', reason: 'lacks the admin capability' });
    expect((await lastAudit(ca, 'session.terminated'))?.seq ?? 0n).toBeLessThanOrEqual(head);

    const gone = await as(admin)('POST', `/v1/sessions/${ended}/terminate`, {});
    expect([gone.statusCode, gone.json().error]).toEqual([409, { code: 'ERR_SESSION_NOT_LIVE', message: `session ${ended} is not live: it ended at 2030-01-01T10:05:00.000Z; only a live session can be terminated` }]);
    expect((await as(admin)('POST', '/v1/sessions/ses_00000000000000000000/terminate', {})).statusCode).toBe(404);
    const cases: Array<[string, unknown, RegExp]> = [
      ['ses_nope', {}, /is not a session id/],
      [live, { reason: 'x'.repeat(201) }, /reason is longer than 200 characters/],
      [live, { reason: 42 }, /reason must be a string/],
      [live, { reason: 'line one\nline two' }, /reason must be one line of printable text/],
      [live, { why: 'x' }, /unknown field\(s\): why/],
      [live, '[1]', /the body must be a JSON object/],
    ];
    for (const [id, body, message] of cases) {
      const response = await as(admin)('POST', `/v1/sessions/${id}/terminate`, body);
      expect({ id, status: response.statusCode, message: response.json().error.message }).toEqual({ id, status: 400, message: expect.stringMatching(message) });
    }
    expect((await lastAudit(ca, 'session.terminated'))?.seq ?? 0n).toBeLessThanOrEqual(head);
  });
});
