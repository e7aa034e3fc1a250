import type { AuditRecord } from '@access/audit';
import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, type TestCa } from '../../testing/test-ca.ts';
import { auditHead, callerWith, lastAudit, signedInPerson, type Person } from './route-test-kit.ts';

const SESSION = 'ses_0000000000000000000a';

describe.each(testDatabaseKinds())('the audit API, on %s', (kind) => {
  let ca: TestCa;
  let auditor: Person;
  let engineer: Person;
  let appended: AuditRecord[];
  beforeAll(async () => {
    ca = await createTestCa(kind);
    await callerWith(ca, ca.adminToken)('POST', '/v1/roles', { name: 'dev', logins: ['deploy'], hostLabels: { env: ['dev'] }, maxTtl: '1h' });
    auditor = await signedInPerson(ca, 'auditor@example.com', ['auditor']);
    engineer = await signedInPerson(ca, 'engineer@example.com', ['dev']);
    const actor = { kind: 'user' as const, id: engineer.user.id, name: 'engineer@example.com' };
    appended = await ca.services.audit.appendMany([
      { type: 'session.start', actor, remote: '198.51.100.7', details: { sessionId: SESSION, login: 'deploy', host: 'web-1', kind: 'shell' } },
      { type: 'session.exec', actor, remote: '198.51.100.7', details: { sessionId: SESSION, command: 'sudo systemctl restart NGINX' } },
      { type: 'session.end', actor, remote: '198.51.100.7', details: { sessionId: SESSION, exitStatus: 0 } },
    ]);
  });
  afterAll(async () => {
    await ca?.close();
  });

  const get = (url: string, person: Person = auditor) => callerWith(ca, person.token)('GET', url);
  const seqs = async (query: string) => {
    const response = await get(`/v1/audit${query}`);
    expect(response.statusCode).toBe(200);
    return (response.json().events as Array<{ seq: string }>).map((e) => e.seq);
  };

  it('lets an auditor read events newest first, each with every field, seq as a string and the time in ISO', async () => {
    const response = await get('/v1/audit?limit=2');
    expect(response.statusCode).toBe(200);
    const [end, exec] = [appended[2]!, appended[1]!];
    expect(response.json()).toEqual({
      events: [end, exec].map((e) => ({
        seq: e.seq.toString(), id: e.id, time: e.time.toISOString(), type: e.type, code: e.code, actor: e.actor, remote: '198.51.100.7',
        details: e.details, prevHash: e.prevHash, hash: e.hash,
      })),
      nextBefore: exec.seq.toString(),
      nextAfter: null,
      scanned: null,
      partial: false,
    });
    expect(exec.prevHash).toBe(appended[0]!.hash);
  });

  it('filters by session, type, code, actor, remote, time and text, and pages both ways', async () => {
    const [start, exec, end] = appended.map((e) => e.seq.toString());
    expect(await seqs(`?session=${SESSION}`)).toEqual([end, exec, start]);
    expect(await seqs('?type=session.start&type=session.end')).toEqual([end, start]);
    expect(await seqs('?type=session.start,session.exec')).toEqual([exec, start]);
    expect(await seqs('?code=SE1001I')).toEqual([exec]);
    expect(await seqs('?actor=engineer@example.com&remote=198.51.100.7')).toEqual([end, exec, start]);
    expect(await seqs(`?actor=${engineer.user.id}&type=session.end`)).toEqual([end]);
    expect(await seqs(`?since=${encodeURIComponent(appended[0]!.time.toISOString())}&type=session.exec`)).toEqual([exec]);
    expect(await seqs('?until=2000-01-01')).toEqual([]);
    const text = await get('/v1/audit?text=restart%20nginx');
    expect(text.json()).toMatchObject({ events: [{ seq: exec }], nextBefore: null, partial: false });
    expect(text.json().scanned).toBeGreaterThan(3);
    expect(await seqs(`?session=${SESSION}&limit=1&before=${end}`)).toEqual([exec]);
    const up = await get(`/v1/audit?session=${SESSION}&limit=2&after=1`);
    expect(up.json()).toMatchObject({ events: [{ seq: start }, { seq: exec }], nextBefore: null, nextAfter: exec });
    expect(await seqs(`?session=${SESSION}&limit=2&after=${exec}`)).toEqual([end]);
  });

  it('refuses an engineer without the audit capability with 403 and audits it; anonymous is 401; an admin token may read', async () => {
    const refused = await get('/v1/audit', engineer);
    expect([refused.statusCode, refused.json().error.code]).toEqual([403, 'ERR_FORBIDDEN']);
    expect((await lastAudit(ca, 'auth.denied'))?.details).toMatchObject({ route: '/v1/audit', reason: 'lacks the audit capability' });
    const anonymous = await ca.app.inject({ method: 'GET', url: '/v1/audit' });
    expect([anonymous.statusCode, anonymous.json().error.code]).toEqual([401, 'ERR_UNAUTHENTICATED']);
    expect((await get('/v1/audit?limit=1', { token: ca.adminToken } as Person)).statusCode).toBe(200);
  });

  it.each([
    ['?type=cert.nope', /type must be an audit event type/],
    ['?session=ses_1', /session must be a session id/],
    ['?since=tomorrow', /since must be an ISO 8601 time/],
    ['?before=abc', /before must be an event's seq/],
    ['?before=5&after=1', /not both/],
    ['?limit=5000', /limit must be a whole number from 1 to 1000/],
    [`?text=${'x'.repeat(201)}`, /text must be at most 200 characters/],
    ['?sort=asc', /unknown query parameter "sort"/],
  ])('answers 400 to %s, naming the parameter, and changes nothing', async (query, message) => {
    const head = await auditHead(ca);
    const response = await get(`/v1/audit${query}`);
    expect([response.statusCode, response.json().error.code]).toEqual([400, 'ERR_BAD_REQUEST']);
    expect(response.json().error.message).toMatch(message);
    expect(await auditHead(ca)).toBe(head);
  });
});
