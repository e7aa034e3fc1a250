import { generateKeyPairSync } from 'node:crypto';
import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, type TestCa } from '../../testing/test-ca.ts';
import { lastAudit } from './route-test-kit.ts';

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
