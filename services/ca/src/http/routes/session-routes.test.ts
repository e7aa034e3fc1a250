import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertChunks, insertGateway, insertSession } from '../../testing/session-rows.ts';
import { createTestCa, type TestCa } from '../../testing/test-ca.ts';
import { callerWith, lastAudit, signedInPerson, type Person } from './route-test-kit.ts';

describe.each(testDatabaseKinds())('the sessions API, on %s', (kind) => {
  let ca: TestCa;
  let auditor: Person;
  let engineer: Person;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    ca = await createTestCa(kind);
    const db = ca.services.database.db;
    const gw = await insertGateway(db);
    ids['ended'] = await insertSession(db, gw, {
      started_at: new Date('2030-01-01T10:00:00Z'), ended_at: new Date('2030-01-01T10:05:00Z'), exit_status: 0, end_reason: 'exit',
      bytes_in: 12n, bytes_out: 3400n, recorded_until: new Date('2030-01-01T10:04:59Z'),
    });
    ids['live'] = await insertSession(db, gw, { user_id: 'usr_bob', user_email: 'bob@example.com', login: 'deploy', host: 'db-1', kind: 'exec', command: 'uptime', status: 'live', started_at: new Date('2030-01-01T12:00:00Z') });
    await insertChunks(db, ids['ended'], [['[0.5,"o","$ "]', '[1,"i","exit\\r"]'], ['[1.2,"o","logout\\r\\n"]']]);
    await callerWith(ca, ca.adminToken)('POST', '/v1/roles', { name: 'dev', logins: ['deploy'], hostLabels: { env: ['dev'] }, maxTtl: '1h' });
    auditor = await signedInPerson(ca, 'auditor@example.com', ['auditor']);
    engineer = await signedInPerson(ca, 'engineer@example.com', ['dev']);
  });
  afterAll(async () => {
    await ca?.close();
  });

  const get = (url: string, person: Person = auditor) => callerWith(ca, person.token)('GET', url);
  const listed = async (query: string) => {
    const response = await get(`/v1/sessions${query}`);
    expect(response.statusCode).toBe(200);
    return (response.json().sessions as Array<{ id: string }>).map((s) => s.id);
  };

  it('lets an auditor list sessions newest first, in the documented shape', async () => {
    const response = await get('/v1/sessions');
    expect(response.statusCode).toBe(200);
    const { sessions } = response.json();
    expect(sessions.map((s: { id: string }) => s.id)).toEqual([ids['live'], ids['ended']]);
    expect(sessions[1]).toEqual({
      id: ids['ended'], connectionId: 'conn_1', user: { id: 'usr_alice', email: 'alice@example.com' }, login: 'alice', host: 'web-1', hostAddress: '10.0.0.1:22',
      clientAddress: '192.0.2.7', kind: 'shell', command: null, term: 'xterm-256color', cols: 120, rows: 40, status: 'ended',
      startedAt: '2030-01-01T10:00:00.000Z', endedAt: '2030-01-01T10:05:00.000Z', exitStatus: 0, exitSignal: null, endReason: 'exit',
      bytesIn: 12, bytesOut: 3400, recordedUntil: '2030-01-01T10:04:59.000Z', recordingTruncated: false,
    });
  });

  it('filters by user, host, time, liveness and pages with before and limit', async () => {
    expect(await listed('?user=BOB@example.com')).toEqual([ids['live']]);
    expect(await listed('?host=web-1')).toEqual([ids['ended']]);
    expect(await listed('?since=2030-01-01T11:00:00Z')).toEqual([ids['live']]);
    expect(await listed('?until=2030-01-01T12:00:00%2B01:00')).toEqual([ids['ended']]);
    expect(await listed('?since=2030-01-01&until=2030-01-02')).toEqual([ids['live'], ids['ended']]);
    expect(await listed('?live=true')).toEqual([ids['live']]);
    expect(await listed('?live=false')).toEqual([ids['ended']]);
    expect(await listed('?limit=1')).toEqual([ids['live']]);
    expect(await listed(`?limit=1&before=${ids['live']}`)).toEqual([ids['ended']]);
    expect(await listed('?before=2030-01-01T11:00:00Z')).toEqual([ids['ended']]);
    expect(await listed('?user=nobody@example.com')).toEqual([]);
  });

  it('reads one session, and answers 404 for an unknown one and 400 for a malformed id', async () => {
    expect((await get(`/v1/sessions/${ids['live']}`)).json()).toMatchObject({ id: ids['live'], kind: 'exec', command: 'uptime', status: 'live', endedAt: null });
    const unknown = await get('/v1/sessions/ses_00000000000000000000');
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'ERR_UNKNOWN_SESSION']);
    for (const bad of ['nope', 'ses_123', 'ses_ABCDEFABCDEFABCDEFAB']) {
      expect((await get(`/v1/sessions/${bad}`)).json().error.code).toBe('ERR_BAD_SESSION_ID');
      expect((await get(`/v1/sessions/${bad}/recording`)).statusCode).toBe(400);
    }
    expect((await get('/v1/sessions/ses_00000000000000000000/recording')).statusCode).toBe(404);
  });

  it('serves the recording as asciicast v2: a header, then the chunk lines in order', async () => {
    const response = await get(`/v1/sessions/${ids['ended']}/recording`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/x-asciicast');
    const lines = response.body.split('\n');
    expect(JSON.parse(lines[0]!)).toEqual({ version: 2, width: 120, height: 40, timestamp: 1893492000, env: { TERM: 'xterm-256color' }, title: 'alice@web-1 by alice@example.com' });
    expect(lines.slice(1)).toEqual(['[0.5,"o","$ "]', '[1,"i","exit\\r"]', '[1.2,"o","logout\\r\\n"]', '']);
    expect((await get(`/v1/sessions/${ids['live']}/recording`)).body).toMatch(/^\{"version":2,"width":120,"height":40,.*"title":"deploy@db-1 by bob@example.com"\}\n$/);
    // Who read which recording is audited.
    expect((await lastAudit(ca, 'session.recording.read'))?.details).toEqual({ sessionId: ids['live'], user: 'bob@example.com', login: 'deploy', host: 'db-1' });
  });

  it('refuses an engineer without the audit capability with 403, and audits it', async () => {
    for (const url of ['/v1/sessions', `/v1/sessions/${ids['ended']}`, `/v1/sessions/${ids['ended']}/recording`]) {
      const response = await get(url, engineer);
      expect({ url, status: response.statusCode, code: response.json().error.code }).toEqual({ url, status: 403, code: 'ERR_FORBIDDEN' });
    }
    expect((await lastAudit(ca, 'auth.denied'))?.details).toMatchObject({ route: '/v1/sessions/:id/recording', reason: 'lacks the audit capability' });
    expect((await ca.app.inject({ method: 'GET', url: '/v1/sessions' })).statusCode).toBe(401);
    expect((await get('/v1/sessions', { token: ca.adminToken } as Person)).statusCode).toBe(200);
  });

  it.each([
    ['?user=not-an-email', /user must be an email address/],
    ['?host=Web_1', /host name "Web_1" must be lowercase DNS labels/],
    ['?since=yesterday', /since must be an ISO 8601 time/],
    ['?since=2030-01-01T10:00:00', /since must be an ISO 8601 time with a zone/],
    ['?until=2030-13-45T00:00:00Z', /until must be an ISO 8601 time/],
    ['?since=2030-01-02&until=2030-01-01', /since \(.*\) must be before until/],
    ['?live=yes', /live must be true or false/],
    ['?limit=0', /limit must be a whole number from 1 to 1000/],
    ['?limit=1001', /limit must be a whole number from 1 to 1000/],
    ['?limit=ten', /limit must be a whole number/],
    ['?before=ses_nope', /before must be a session id \(ses_ and 20 hex digits\) or an ISO time/],
    ['?before=soon', /before \(a session id or an ISO time\) must be an ISO 8601 time/],
    ['?before=ses_ffffffffffffffffffff', /before names no session/],
    ['?status=live', /unknown query parameter "status"/],
    ['?user=a@example.com&user=b@example.com', /user may be given once/],
  ])('answers 400 to %s, naming the parameter', async (query, message) => {
    const response = await get(`/v1/sessions${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(message);
  });
});
