import { generateKeyPairSync } from 'node:crypto';
import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedInPerson } from '../../services/ca/src/http/routes/route-test-kit.ts';
import { createTestCa, type TestCa } from '../../services/ca/src/testing/test-ca.ts';
import { uiBrowser, type UiBrowser } from '../../services/ca/src/ui/ui-test-kit.ts';

/** An OpenSSH ed25519 public key line, made in memory. */
function hostKey(): string {
  const der = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([field(Buffer.from('ssh-ed25519')), field(der.subarray(der.length - 32))]).toString('base64')}`;
}

describe.each(testDatabaseKinds())('enrollment API, on %s', (kind) => {
  let ca: TestCa;
  let admin: UiBrowser;
  beforeAll(async () => {
    ca = await createTestCa(kind);
    admin = await uiBrowser(ca, (await signedInPerson(ca, 'admin@example.com', ['admin'])).user.id);
  });
  afterAll(async () => {
    await ca?.close();
  });

  it('shows a one-time enrollment command from the Hosts page form', async () => {
    expect((await admin.get('/ui/hosts')).body).toContain('Create a join token');
    const page = await admin.post('/ui/hosts/tokens', { labels: 'env=prod, team=web', ttl: '2h' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/curl -fsS \S+\/enroll\.sh \| sh -s -- --token acj_[A-Za-z0-9_-]{43}/);
    const row = await ca.services.database.db.selectFrom('host_join_tokens').selectAll().orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    expect(row.labels).toEqual({ env: 'prod', team: 'web' });
    expect(page.body).not.toContain(row.token_hash);
  });

  it('serves the script with the public URL baked in', async () => {
    const r = await ca.app.inject({ method: 'GET', url: '/enroll.sh' });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain(`CA_URL='${ca.services.config.publicUrl}'`);
    expect(r.body).not.toContain('@ACCESS_CA_URL@');
  });

  it('lets one of many concurrent enrollments use a token, and refuses a token too long-lived', async () => {
    const created = await ca.app.inject({ method: 'POST', url: '/v1/hosts/tokens', headers: { authorization: `Bearer ${ca.adminToken}` }, payload: { labels: { env: 'dev' } } });
    const { token } = created.json<{ token: string }>();
    const answers = await Promise.all(
      [1, 2, 3, 4, 5].map((i) => ca.app.inject({ method: 'POST', url: '/v1/enroll', payload: { token, name: `race-${i}`, addresses: [`10.0.0.${i}`], hostKeys: [hostKey()] } })),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 401, 401, 401, 401]);
    const winner = answers.find((a) => a.statusCode === 201)!.json<{ host: { name: string; address: string }; hostCertificates: unknown[] }>();
    expect(winner.host.address).toMatch(/^10\.0\.0\.\d:22$/);
    expect(winner.hostCertificates).toHaveLength(1);
    expect((await ca.services.identity.hosts.list()).filter((h) => h.name.startsWith('race-'))).toHaveLength(1);
    const long = await ca.app.inject({ method: 'POST', url: '/v1/hosts/tokens', headers: { authorization: `Bearer ${ca.adminToken}` }, payload: { ttl: '25h' } });
    expect(long.statusCode).toBe(400);
  });
});
