import { testDatabaseKinds } from '@access/db';
import { storeTranscript } from '@access/gateway';
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
    const own = { user_id: engineer.user.id, user_email: 'engineer@example.com', login: 'deploy', host: 'web-2' };
    ids['own'] = await insertSession(db, gw, { ...own, started_at: new Date('2029-12-31T10:00:00Z'), ended_at: new Date('2029-12-31T10:01:00Z') });
    ids['ownLive'] = await insertSession(db, gw, { ...own, status: 'live', started_at: new Date('2029-12-31T11:00:00Z') });
    await insertChunks(db, ids['own'], [['[0.1,"o","$ "]', '[0.3,"o","make release\\r\\nrelease built\\r\\n"]']]);
    await storeTranscript(db, ids['own'], { text: '$ make release\nrelease built\n', truncated: false }, new Date());
    await storeTranscript(db, ids['ended'], { text: '$ exit\nlogout\n', truncated: false }, new Date());
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
    expect(sessions.map((s: { id: string }) => s.id)).toEqual([ids['live'], ids['ended'], ids['ownLive'], ids['own']]);
    expect(sessions[1]).toEqual({
      id: ids['ended'], connectionId: 'conn_1', user: { id: 'usr_alice', email: 'alice@example.com' }, login: 'alice', host: 'web-1', hostAddress: '10.0.0.1:22',
      clientAddress: '192.0.2.7', kind: 'shell', command: null, term: 'xterm-256color', cols: 120, rows: 40, status: 'ended',
      startedAt: '2030-01-01T10:00:00.000Z', endedAt: '2030-01-01T10:05:00.000Z', exitStatus: 0, exitSignal: null, endReason: 'exit',
      bytesIn: 12, bytesOut: 3400, recordedUntil: '2030-01-01T10:04:59.000Z', recordingTruncated: false,
    });
  });

  it('filters by user, host, login, status, words, time, liveness and pages with before and limit', async () => {
    expect(await listed('?user=BOB@example.com')).toEqual([ids['live']]);
    expect(await listed('?host=web-1')).toEqual([ids['ended']]);
    expect(await listed('?login=deploy')).toEqual([ids['live'], ids['ownLive'], ids['own']]);
    expect(await listed('?status=ended&login=deploy')).toEqual([ids['own']]);
    expect(await listed('?status=interrupted')).toEqual([]);
    expect(await listed('?text=release')).toEqual([ids['own']]);
    expect(await listed('?text=logout%20or%20release')).toEqual([ids['ended'], ids['own']]);
    expect(await listed('?text=%22release%20built%22&host=web-1')).toEqual([]);
    expect(await listed('?since=2030-01-01T11:00:00Z')).toEqual([ids['live']]);
    expect(await listed('?until=2030-01-01T12:00:00%2B01:00')).toEqual([ids['ended'], ids['ownLive'], ids['own']]);
    expect(await listed('?since=2030-01-01&until=2030-01-02')).toEqual([ids['live'], ids['ended']]);
    expect(await listed('?live=true&since=2030-01-01')).toEqual([ids['live']]);
    expect(await listed('?live=false&since=2030-01-01')).toEqual([ids['ended']]);
    expect(await listed('?limit=1')).toEqual([ids['live']]);
    expect(await listed(`?limit=1&before=${ids['live']}`)).toEqual([ids['ended']]);
    expect(await listed('?before=2030-01-01T11:00:00Z')).toEqual([ids['ended'], ids['ownLive'], ids['own']]);
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

  it('shows an engineer without the audit capability their own sessions only; another\'s is 404', async () => {
    const mine = await get('/v1/sessions', engineer);
    expect(mine.json().sessions.map((s: { id: string }) => s.id)).toEqual([ids['ownLive'], ids['own']]);
    expect((await get('/v1/sessions?user=bob@example.com', engineer)).json().sessions).toEqual([]);
    expect((await get('/v1/sessions?text=logout', engineer)).json().sessions).toEqual([]);
    expect((await get(`/v1/sessions/${ids['own']}`, engineer)).json()).toMatchObject({ id: ids['own'], user: { email: 'engineer@example.com' } });
    for (const url of [`/v1/sessions/${ids['ended']}`, `/v1/sessions/${ids['live']}/recording`, `/v1/sessions/${ids['ended']}/transcript`, `/v1/sessions/${ids['live']}/recording?after=0`]) {
      const response = await get(url, engineer);
      expect({ url, status: response.statusCode, body: response.json() }).toEqual({ url, status: 404, body: { error: { code: 'ERR_UNKNOWN_SESSION', message: `no session with id ${url.split('/')[3]!.split('?')[0]}` } } });
    }
    // Their own recording is theirs to read, and the read is on the record like any other.
    const recording = await get(`/v1/sessions/${ids['own']}/recording`, engineer);
    expect(recording.body.split('\n').slice(1)).toEqual(['[0.1,"o","$ "]', '[0.3,"o","make release\\r\\nrelease built\\r\\n"]', '']);
    expect(await lastAudit(ca, 'session.recording.read')).toMatchObject({ actor: { kind: 'user', id: engineer.user.id }, details: { sessionId: ids['own'] } });
    expect((await ca.app.inject({ method: 'GET', url: '/v1/sessions' })).statusCode).toBe(401);
    expect((await get('/v1/sessions', { token: ca.adminToken } as Person)).json().sessions).toHaveLength(4);
  });

  it('downloads the text transcript, audited, rendering one for a session not transcribed yet', async () => {
    const response = await get(`/v1/sessions/${ids['own']}/transcript`, engineer);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(response.headers['content-disposition']).toBe(`attachment; filename="${ids['own']}.txt"`);
    const [head, body] = response.body.split(`${'='.repeat(72)}\n`);
    expect(head).toContain(`Session:  ${ids['own']} (connection conn_1)\nUser:     engineer@example.com (${engineer.user.id})\nTarget:   deploy@web-2 (10.0.0.1:22)\n`);
    expect(body).toBe('$ make release\nrelease built\n');
    expect((await lastAudit(ca, 'session.recording.read'))?.details).toEqual({ sessionId: ids['own'], user: 'engineer@example.com', login: 'deploy', host: 'web-2', format: 'text' });
    // Live: rendered now from what is recorded (nothing yet), for an auditor too.
    const live = await get(`/v1/sessions/${ids['live']}/transcript`);
    expect(live.body).toMatch(/Status: {3}live; recorded until nothing yet\n={72}\n\$ uptime\n$/);
  });

  it.each([
    ['?user=not-an-email', /user must be an email address/],
    ['?host=Web_1', /host name "Web_1" must be lowercase DNS labels/],
    ['?since=yesterday', /since must be an ISO 8601 time/],
    ['?since=2030-01-01T10:00:00', /since must be an ISO 8601 time with a zone/],
    ['?until=2030-13-45T00:00:00Z', /until must be an ISO 8601 time/],
    ['?since=2030-02-30', /since is not a date on the calendar/],
    ['?since=2030-01-02&until=2030-01-01', /since \(.*\) must be before until/],
    ['?live=yes', /live must be true or false/],
    ['?limit=0', /limit must be a whole number from 1 to 1000/],
    ['?limit=1001', /limit must be a whole number from 1 to 1000/],
    ['?limit=ten', /limit must be a whole number/],
    ['?before=ses_nope', /before must be a session id \(ses_ and 20 hex digits\) or an ISO time/],
    ['?before=soon', /before \(a session id or an ISO time\) must be an ISO 8601 time/],
    ['?before=ses_ffffffffffffffffffff', /before names no session/],
    ['?status=running', /status must be one of live, ended, interrupted/],
    ['?login=Root!', /login must be a Linux login name/],
    ['?text=%22%22%20-%20%3A', /text must hold a word to search for/],
    [`?text=${'a'.repeat(201)}`, /text must be at most 200 characters/],
    ['?after=3', /unknown query parameter "after"/],
    ['?user=a@example.com&user=b@example.com', /user may be given once/],
  ])('answers 400 to %s, naming the parameter', async (query, message) => {
    const response = await get(`/v1/sessions${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(message);
  });
});
