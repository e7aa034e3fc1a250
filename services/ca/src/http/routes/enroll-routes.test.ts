import { generateKeyPairSync } from 'node:crypto';
import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, type TestCa } from '../../testing/test-ca.ts';
import { ENROLL_REFUSALS_PER_MINUTE } from '../refusal-limiter.ts';
import { auditHead, lastAudit } from './route-test-kit.ts';

function hostKey(): string {
  const der = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([field(Buffer.from('ssh-ed25519')), field(der.subarray(der.length - 32))]).toString('base64')}`;
}

describe.each(testDatabaseKinds())('POST /v1/enroll, on %s', (kind) => {
  let ca: TestCa;
  beforeAll(async () => {
    ca = await createTestCa(kind);
  });
  afterAll(async () => {
    await ca?.close();
  });

  // It used to enroll the host first and read the query string after: the client got a 400
  // and no certificates, and the single-use token was spent.
  it('refuses a bad query string before it spends the join token', async () => {
    const created = await ca.app.inject({ method: 'POST', url: '/v1/hosts/tokens', headers: { authorization: `Bearer ${ca.adminToken}` }, payload: {} });
    const { token } = created.json<{ token: string }>();
    const body = { token, name: 'query-check', addresses: ['10.0.0.5'], hostKeys: [hostKey()] };

    const refused = await ca.app.inject({ method: 'POST', url: '/v1/enroll?colour=red', payload: body });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({ error: { code: 'ERR_BAD_REQUEST', message: expect.stringContaining('unknown query parameter "colour"') } });
    expect((await lastAudit(ca, 'host.enroll.denied'))?.details).toMatchObject({ step: 'enroll', code: 'ERR_BAD_REQUEST' });
    expect((await ca.services.identity.hosts.list()).map((h) => h.name)).not.toContain('query-check');

    const enrolled = await ca.app.inject({ method: 'POST', url: '/v1/enroll?format=text', payload: body });
    expect(enrolled.statusCode).toBe(201);
    expect(enrolled.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('refuses a bad query string on renew the same way', async () => {
    const refused = await ca.app.inject({ method: 'POST', url: '/v1/enroll/renew?format=text&format=json', payload: { message: 'm', signature: 's' } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json<{ error: { message: string } }>().error.message).toContain('format may be given once');
  });
});

// Only on PGlite: the limiter is in the CA's memory, whatever the database.
describe('refused enrollments per client address', () => {
  let ca: TestCa;
  let now = new Date('2026-11-23T10:00:00Z');
  beforeAll(async () => {
    ca = await createTestCa('pglite', {}, () => now);
  });
  afterAll(async () => {
    await ca?.close();
  });

  const newToken = async () =>
    (await ca.app.inject({ method: 'POST', url: '/v1/hosts/tokens', headers: { authorization: `Bearer ${ca.adminToken}` }, payload: {} })).json<{ token: string }>().token;
  const enroll = (remoteAddress: string, token: string, name: string) =>
    ca.app.inject({ method: 'POST', url: '/v1/enroll', remoteAddress, payload: { token, name, addresses: ['10.0.0.7'], hostKeys: [hostKey()] } });
  const WRONG = `acj_${'x'.repeat(43)}`;

  it(`answers 429 after ${ENROLL_REFUSALS_PER_MINUTE} refusals a minute from one address, without looking or auditing, and only for that address and minute`, async () => {
    for (let i = 0; i < ENROLL_REFUSALS_PER_MINUTE; i++) {
      const refused = await enroll('198.51.100.7', WRONG, `guess-${i}`);
      expect(refused.statusCode, refused.body).toBeGreaterThanOrEqual(400);
      expect(refused.statusCode).toBeLessThan(500);
      expect(refused.statusCode).not.toBe(429);
    }
    const head = await auditHead(ca);
    expect((await lastAudit(ca, 'host.enroll.denied'))?.remote).toBe('198.51.100.7');

    // Even a good token waits: the address is not looked at, so the token is not spent.
    const good = await newToken();
    const headAfterToken = await auditHead(ca);
    expect(headAfterToken).toBe(head + 1n);
    const limited = await enroll('198.51.100.7', good, 'limited-host');
    expect([limited.statusCode, limited.json<{ error: { code: string } }>().error.code]).toEqual([429, 'ERR_RATE_LIMITED']);
    expect(limited.json<{ error: { message: string } }>().error.message).toContain('wait a minute');
    const renew = await ca.app.inject({ method: 'POST', url: '/v1/enroll/renew', remoteAddress: '198.51.100.7', payload: { message: 'm', signature: 's' } });
    expect(renew.statusCode).toBe(429);
    expect(await auditHead(ca)).toBe(headAfterToken);
    expect((await ca.services.identity.hosts.list()).map((h) => h.name)).not.toContain('limited-host');

    // Another address is not held back.
    const other = await enroll('203.0.113.9', await newToken(), 'other-host');
    expect(other.statusCode, other.body).toBe(201);

    // A minute later the address is heard again, and the token was not spent.
    now = new Date(now.getTime() + 61_000);
    const later = await enroll('198.51.100.7', good, 'limited-host');
    expect(later.statusCode, later.body).toBe(201);
  });

  it('does not count enrollments that succeed', async () => {
    for (let i = 0; i < ENROLL_REFUSALS_PER_MINUTE + 2; i++) {
      const enrolled = await enroll('192.0.2.44', await newToken(), `fleet-${i}`);
      expect(enrolled.statusCode, enrolled.body).toBe(201);
    }
  });
});
