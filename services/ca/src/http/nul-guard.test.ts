import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, type TestCa } from '../testing/test-ca.ts';
import { uiBrowser } from '../ui/ui-test-kit.ts';
import { lastAudit, signedInPerson } from './routes/route-test-kit.ts';
import { findNul } from './nul-guard.ts';

describe('findNul', () => {
  it('names the field that holds a NUL, in a value or a name, at any depth', () => {
    expect(findNul({ reason: 'ok', labels: { env: 'a\u0000b' } })).toBe('in "env"');
    expect(findNul({ logins: ['x', '\u0000'] })).toBe('in "logins"');
    expect(findNul({ 'a\u0000': 1 })).toBe('in a field name');
    expect(findNul('\u0000')).toBe('in its text');
    expect(findNul({ reason: 'fine', n: 1, list: [null, true] })).toBeNull();
  });

  it('walks a body nested deeper than the call stack allows', () => {
    let deep: unknown = '\u0000';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(findNul(deep)).toBe('in its text');
  });
});

describe.each(testDatabaseKinds())('a NUL character in a request, on %s', (kind) => {
  let ca: TestCa;
  let auth: Record<string, string>;
  beforeAll(async () => {
    ca = await createTestCa(kind);
    auth = { authorization: `Bearer ${ca.adminToken}` };
  });
  afterAll(async () => {
    await ca?.close();
  });

  // Each of these answered 500: PostgreSQL refused the NUL when the route queried or wrote it.
  it.each([
    ['GET', '/v1/hosts/%00', undefined, 'the path'],
    ['DELETE', '/v1/roles/a%00', undefined, 'the path'],
    ['GET', '/v1/grants?user=%00', undefined, 'the query string'],
    ['POST', '/v1/roles', { name: 'ok', description: 'a\u0000b', logins: ['x'], maxTtl: '1h' }, 'the body'],
    ['POST', '/v1/grants', { user: 'x\u0000@example.com', role: 'dev', reason: 'r' }, 'the body'],
    ['POST', '/v1/revocations', { keyId: 'a\u0000', reason: 'x' }, 'the body'],
  ] as const)('refuses %s %s with 400 ERR_NUL_CHARACTER, naming where it was', async (method, url, payload, where) => {
    const response = await ca.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: { code: 'ERR_NUL_CHARACTER', message: expect.stringContaining(`${where} holds a NUL character`) } });
  });

  it('asks for credentials first', async () => {
    expect((await ca.app.inject({ method: 'GET', url: '/v1/hosts/%00' })).statusCode).toBe(401);
  });

  it('audits a refused certificate request like any other', async () => {
    const response = await ca.app.inject({ method: 'POST', url: '/v1/certs/user', headers: auth, payload: { publicKey: 'ssh-ed25519 AAAA', principals: ['a\u0000'] } });
    expect(response.statusCode).toBe(400);
    expect((await lastAudit(ca, 'cert.denied'))?.details).toMatchObject({ code: 'ERR_NUL_CHARACTER' });
  });

  it('refuses a NUL in a web form with an error page', async () => {
    const admin = await uiBrowser(ca, (await signedInPerson(ca, 'admin@example.com', ['admin'])).user.id);
    const response = await admin.post('/ui/hosts/x%00y', { address: '10.0.0.8:22' });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('ERR_NUL_CHARACTER');
  });
});
