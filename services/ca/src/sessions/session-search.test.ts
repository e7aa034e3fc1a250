import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@access/db';
import { storeTranscript } from '@access/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertGateway, insertSession } from '../testing/session-rows.ts';
import { ALL_SESSIONS, sessionScope, type SessionScope } from './session-scope.ts';
import { getSession, listSessions, searchTerms, type SessionFilter } from './session-store.ts';

const at = (iso: string) => new Date(iso);

describe.each(testDatabaseKinds())('who sees which sessions, and searching them, on %s', (kind) => {
  let database: TestDatabase;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const db = database.db;
    const gw = await insertGateway(db);
    ids['deploy'] = await insertSession(db, gw, { started_at: at('2030-01-01T08:00:00Z'), ended_at: at('2030-01-01T08:10:00Z'), login: 'deploy' });
    ids['psql'] = await insertSession(db, gw, { started_at: at('2030-01-01T09:00:00Z'), ended_at: at('2030-01-01T09:10:00Z'), kind: 'exec', command: 'psql -c "select 1"' });
    ids['bob'] = await insertSession(db, gw, { user_id: 'usr_bob', user_email: 'bob@example.com', login: 'bob', started_at: at('2030-01-01T10:00:00Z'), status: 'interrupted' });
    ids['live'] = await insertSession(db, gw, { user_id: 'usr_bob', user_email: 'bob@example.com', login: 'deploy', started_at: at('2030-01-01T11:00:00Z'), status: 'live' });
    const now = new Date();
    await storeTranscript(db, ids['deploy'], { text: '$ systemctl restart nginx\nJob for nginx.service failed because the control process exited\n', truncated: false }, now);
    await storeTranscript(db, ids['psql'], { text: '$ psql -c "select 1"\n ?column?\n----------\n        1\n(1 row)\n', truncated: false }, now);
    await storeTranscript(db, ids['bob'], { text: 'bob@web-1:~$ tail -f /var/log/nginx/access.log\nGET /healthz 200 from 10.0.0.1\n', truncated: false }, now);
  });
  afterAll(async () => {
    await database?.close();
  });

  const list = (filter: Partial<SessionFilter> = {}, scope: SessionScope = ALL_SESSIONS) =>
    listSessions(database.db, { limit: 100, ...filter }, scope).then((s) => s.map((x) => x.id));
  const bob: SessionScope = { kind: 'own', userId: 'usr_bob' };

  it('gives the audit capability every session and anyone else their own', () => {
    expect(sessionScope({ capabilities: ['audit'], user: { id: 'usr_x' } })).toEqual(ALL_SESSIONS);
    expect(sessionScope({ capabilities: ['admin', 'audit'], user: null })).toEqual(ALL_SESSIONS);
    expect(sessionScope({ capabilities: ['admin'], user: { id: 'usr_x' } })).toEqual({ kind: 'own', userId: 'usr_x' });
    expect(sessionScope({ capabilities: [], user: { id: 'usr_bob' } })).toEqual(bob);
    expect(() => sessionScope({ capabilities: ['gateway'], user: null })).toThrow(expect.objectContaining({ status: 403 }));
  });

  it('lists and reads only the own sessions of a scoped person; another person\'s reads as unknown', async () => {
    expect(await list({}, bob)).toEqual([ids['live'], ids['bob']]);
    expect(await list({ userEmail: 'alice@example.com' }, bob)).toEqual([]);
    expect((await getSession(database.db, ids['bob']!, bob)).id).toBe(ids['bob']);
    const other = getSession(database.db, ids['deploy']!, bob);
    await expect(other).rejects.toMatchObject({ status: 404, code: 'ERR_UNKNOWN_SESSION', message: `no session with id ${ids['deploy']}` });
    // Paging past someone else's session is refused as if it did not exist.
    await expect(list({ before: { sessionId: ids['deploy']! } }, bob)).rejects.toMatchObject({ status: 400, code: 'ERR_BAD_CURSOR' });
  });

  it('filters by login and status', async () => {
    expect(await list({ login: 'deploy' })).toEqual([ids['live'], ids['deploy']]);
    expect(await list({ login: 'deploy' }, bob)).toEqual([ids['live']]);
    expect(await list({ status: 'interrupted' })).toEqual([ids['bob']]);
    expect(await list({ status: 'ended' })).toEqual([ids['psql'], ids['deploy']]);
    expect(await list({ status: 'live', login: 'bob' })).toEqual([]);
  });

  it('quotes a search term that holds a path or address, so it is looked for as a phrase', () => {
    expect(searchTerms('nginx /etc/nginx -web-1.example.com "a.b c" or x@y')).toBe('nginx "/etc/nginx" -"web-1.example.com" "a.b c" or "x@y"');
  });

  it('searches transcripts as a web search engine would, in any case', async () => {
    expect(await list({ text: 'nginx' })).toEqual([ids['bob'], ids['deploy']]);
    expect(await list({ text: 'NGINX failed' })).toEqual([ids['deploy']]);
    expect(await list({ text: 'nginx -failed' })).toEqual([ids['bob']]);
    expect(await list({ text: '"control process"' })).toEqual([ids['deploy']]);
    expect(await list({ text: '"process control"' })).toEqual([]);
    expect(await list({ text: 'psql or healthz' })).toEqual([ids['bob'], ids['psql']]);
    expect(await list({ text: 'nginx' }, bob)).toEqual([ids['bob']]);
    expect(await list({ text: 'nginx', status: 'ended' })).toEqual([ids['deploy']]);
    expect(await list({ text: 'unheard-of' })).toEqual([]);
    // Paths, host names and addresses are found by their parts, or as a whole.
    expect(await list({ text: 'access.log' })).toEqual([ids['bob']]);
    expect(await list({ text: '/var/log/nginx' })).toEqual([ids['bob']]);
    expect(await list({ text: 'nginx/access.log' })).toEqual([ids['bob']]);
    expect(await list({ text: 'log/access' })).toEqual([]);
    expect(await list({ text: '10.0.0.1' })).toEqual([ids['bob']]);
    expect(await list({ text: '10.0.1.0' })).toEqual([]);
    expect(await list({ text: 'nginx.service -/var/log' })).toEqual([ids['deploy']]);
    // Only a negation: the transcribed sessions without the word (live ones have no transcript yet).
    expect(await list({ text: '-nginx' })).toEqual([ids['psql']]);
    // Punctuation alone is no word: nothing matches, and nothing fails.
    expect(await list({ text: '"" ... :' })).toEqual([]);
  });
});
