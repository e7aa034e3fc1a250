import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { testDatabaseKinds } from '@access/db';
import { parseCertificate, parseKrl, verifyCertificate, parsePublicKey } from '@access/sshcert';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, type TestCa } from '../testing/test-ca.ts';
import { sshKeygen, type TestKey } from '../testing/ssh-keys.ts';

describe.each(testDatabaseKinds())('CA HTTP API on %s', (kind) => {
  let ca: TestCa;
  let ed25519: TestKey;
  let auth: Record<string, string>;

  beforeAll(async () => {
    ca = await createTestCa(kind, { ACCESS_USER_CERT_MAX_TTL: '12h', ACCESS_HOST_CERT_MAX_TTL: '30d' });
    ed25519 = sshKeygen('ed25519');
    auth = { authorization: `Bearer ${ca.adminToken}` };
  });
  afterAll(async () => {
    await ca?.close();
  });

  const countRows = async (table: 'certificates' | 'revocations') =>
    Number((await ca.services.database.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const lastEvent = async () => (await ca.services.audit.list({ limit: 1 }))[0];

  it('publishes the three CA keys and ready-made trust lines', async () => {
    const res = await ca.app.inject({ method: 'GET', url: '/v1/ca' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    for (const k of ['user', 'host', 'upstream']) {
      expect(body[k]).toHaveLength(1);
      expect(body[k][0].publicKey).toMatch(/^ssh-ed25519 AAAA/);
      expect(body[k][0].fingerprint).toMatch(/^SHA256:/);
    }
    expect(new Set([body.user[0].fingerprint, body.host[0].fingerprint, body.upstream[0].fingerprint]).size).toBe(3);
    expect(body.knownHosts).toBe(`@cert-authority * ${body.host[0].publicKey}\n`);
    expect(body.trustedUserCaKeys).toBe(`${body.upstream[0].publicKey}\n`);
  });

  it('signs a user certificate that verifies against the user CA with the asked fields', async () => {
    const before = Date.now();
    const res = await ca.app.inject({
      method: 'POST',
      url: '/v1/certs/user',
      headers: auth,
      payload: {
        publicKey: ed25519.publicKey,
        principals: ['alice', 'deploy'],
        ttl: '10m',
        keyId: 'alice@example.com',
        criticalOptions: { sourceAddress: '127.0.0.1/32,10.0.0.0/8', forceCommand: 'uptime' },
        extensions: ['permit-pty', 'permit-port-forwarding'],
      },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    const cert = parseCertificate(body.certificate);
    const caKeys = (await ca.app.inject({ method: 'GET', url: '/v1/ca' })).json();
    verifyCertificate(cert, { trustedCaKeys: [parsePublicKey(caKeys.user[0].publicKey)], type: 'user', now: new Date(), principal: 'deploy' });
    expect(cert.type).toBe('user');
    expect(cert.keyId).toBe('alice@example.com');
    expect(cert.principals).toEqual(['alice', 'deploy']);
    expect(cert.criticalOptions).toEqual({ 'force-command': 'uptime', 'source-address': '127.0.0.1/32,10.0.0.0/8' });
    expect(cert.extensions).toEqual(['permit-port-forwarding', 'permit-pty']);
    expect(cert.serial).toBe(BigInt(body.serial));
    expect(cert.serial).toBeGreaterThan(0n);
    const issuedAt = BigInt(Math.floor(before / 1000));
    expect(cert.validAfter).toBeGreaterThanOrEqual(issuedAt - 300n - 1n);
    expect(cert.validAfter).toBeLessThanOrEqual(issuedAt - 300n + 2n);
    expect(cert.validBefore - cert.validAfter).toBe(600n + 300n);

    const row = await ca.services.database.db.selectFrom('certificates').selectAll().where('serial', '=', cert.serial).executeTakeFirstOrThrow();
    expect(row.key_id).toBe('alice@example.com');
    expect(row.principals).toEqual(['alice', 'deploy']);
    expect(row.requested_by).toMatch(/^token:tok_/);
    const event = await lastEvent();
    expect(event?.type).toBe('cert.issued');
    expect(event?.code).toBe('CA1000I');
    expect(event?.details['serial']).toBe(body.serial);
  });

  it('gives every certificate a new serial', async () => {
    const serials = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const res = await ca.app.inject({ method: 'POST', url: '/v1/certs/user', headers: auth, payload: { publicKey: ed25519.publicKey, principals: ['bob'], ttl: 60 } });
      expect(res.statusCode).toBe(201);
      serials.add(res.json().serial);
    }
    expect(serials.size).toBe(5);
  });

  it('signs 60 concurrent requests with distinct serials, one row and one cert.issued event each', async () => {
    const certsBefore = await countRows('certificates');
    const issuedBefore = (await ca.services.audit.list({ type: 'cert.issued', limit: 1000 })).length;
    const responses = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        ca.app.inject({ method: 'POST', url: '/v1/certs/user', headers: auth, payload: { publicKey: ed25519.publicKey, principals: [`user${i}`], ttl: 60 } }),
      ),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(Array(60).fill(201));
    const bodies = responses.map((r) => r.json() as { serial: string; principals: string[] });
    expect(new Set(bodies.map((b) => b.serial)).size).toBe(60);
    expect(bodies.map((b) => b.principals[0])).toEqual(Array.from({ length: 60 }, (_, i) => `user${i}`));
    expect(await countRows('certificates')).toBe(certsBefore + 60);
    const issued = await ca.services.audit.list({ type: 'cert.issued', limit: 1000 });
    expect(issued.length).toBe(issuedBefore + 60);
    expect(new Set(issued.slice(0, 60).map((e) => e.details['serial']))).toEqual(new Set(bodies.map((b) => b.serial)));
    expect((await ca.services.audit.verify()).ok).toBe(true);
  });

  it('signs a host certificate with the host CA', async () => {
    const res = await ca.app.inject({ method: 'POST', url: '/v1/certs/host', headers: auth, payload: { publicKey: ed25519.publicKey, principals: ['web-1', '10.0.0.5'], ttl: '30d' } });
    expect(res.statusCode).toBe(201);
    const cert = parseCertificate(res.json().certificate);
    const keys = (await ca.app.inject({ method: 'GET', url: '/v1/ca' })).json();
    expect(cert.type).toBe('host');
    expect(cert.signatureKey.blob.equals(parsePublicKey(keys.host[0].publicKey).blob)).toBe(true);
    expect(cert.extensions).toEqual([]);
  });

  it('signs RSA 3072 and ECDSA subject keys', async () => {
    for (const key of [sshKeygen('rsa', 3072), sshKeygen('ecdsa', 384)]) {
      const res = await ca.app.inject({ method: 'POST', url: '/v1/certs/user', headers: auth, payload: { publicKey: key.publicKey, principals: ['carol'], ttl: '5m' } });
      expect(res.statusCode).toBe(201);
      expect(parseCertificate(res.json().certificate).publicKey.type).toBe(key.publicKey.split(' ')[0]);
    }
  });

  describe('refuses bad requests with a clear 4xx, an audit event, and no certificate', () => {
    const rsa2048 = () => sshKeygen('rsa', 2048).publicKey;
    const cases: Array<[string, () => Record<string, unknown>, number, RegExp]> = [
      ['a malformed public key', () => ({ publicKey: 'ssh-ed25519 AAAAnotbase64!!', principals: ['a'], ttl: '5m' }), 400, /ERR_KEY_MALFORMED/],
      ['an unknown key type', () => ({ publicKey: 'ssh-dss AAAAB3NzaC1kc3MAAACB', principals: ['a'], ttl: '5m' }), 400, /ERR_KEY_UNSUPPORTED/],
      ['an RSA key under 3072 bits', () => ({ publicKey: rsa2048(), principals: ['a'], ttl: '5m' }), 400, /ERR_KEY_TOO_WEAK/],
      ['a forbidden principal', () => ({ publicKey: ed25519.publicKey, principals: ['root'], ttl: '5m' }), 403, /ERR_PRINCIPAL_FORBIDDEN/],
      ['a wildcard principal', () => ({ publicKey: ed25519.publicKey, principals: ['*'], ttl: '5m' }), 400, /ERR_PRINCIPAL_INVALID/],
      ['empty principals', () => ({ publicKey: ed25519.publicKey, principals: [], ttl: '5m' }), 400, /ERR_PRINCIPAL_INVALID/],
      ['a TTL above the cap', () => ({ publicKey: ed25519.publicKey, principals: ['a'], ttl: '13h' }), 403, /ERR_TTL_TOO_LONG/],
      ['an unknown extension', () => ({ publicKey: ed25519.publicKey, principals: ['a'], ttl: '5m', extensions: ['permit-everything'] }), 400, /ERR_EXTENSION_INVALID/],
      ['a bad source-address', () => ({ publicKey: ed25519.publicKey, principals: ['a'], ttl: '5m', criticalOptions: { sourceAddress: '300.1.1.1/8' } }), 400, /ERR_OPTION_INVALID/],
      ['an unknown field', () => ({ publicKey: ed25519.publicKey, principals: ['a'], ttl: '5m', serial: 7 }), 400, /ERR_BAD_REQUEST/],
      ['a bad ttl', () => ({ publicKey: ed25519.publicKey, principals: ['a'], ttl: 'forever' }), 400, /ERR_BAD_DURATION/],
    ];
    it.each(cases)('%s', async (_name, payload, status, code) => {
      const certsBefore = await countRows('certificates');
      const res = await ca.app.inject({ method: 'POST', url: '/v1/certs/user', headers: auth, payload: payload() });
      expect(res.statusCode).toBe(status);
      const body = res.json();
      expect(body.error.code).toMatch(code);
      expect(body.error.message.length).toBeGreaterThan(10);
      expect(await countRows('certificates')).toBe(certsBefore);
      const event = await lastEvent();
      expect(event?.type).toBe('cert.denied');
      expect(event?.details['code']).toMatch(code);
    });

    it('an oversized body (413)', async () => {
      const certsBefore = await countRows('certificates');
      const res = await ca.app.inject({ method: 'POST', url: '/v1/certs/user', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify({ publicKey: 'x'.repeat(70_000), principals: ['a'], ttl: '5m' }) });
      expect(res.statusCode).toBe(413);
      expect(res.json().error.message).toMatch(/too large/i);
      expect(await countRows('certificates')).toBe(certsBefore);
      expect((await lastEvent())?.type).toBe('cert.denied');
    });

    it('a body that is not JSON (400 or 415)', async () => {
      const res = await ca.app.inject({ method: 'POST', url: '/v1/certs/host', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"publicKey":' });
      expect(res.statusCode).toBe(400);
      expect((await lastEvent())?.type).toBe('cert.denied');
      const res2 = await ca.app.inject({ method: 'POST', url: '/v1/certs/host', headers: { ...auth, 'content-type': 'text/plain' }, payload: 'hello' });
      expect(res2.statusCode).toBe(415);
    });

    it('host wildcard principal outside a leading "*." label', async () => {
      const res = await ca.app.inject({ method: 'POST', url: '/v1/certs/host', headers: auth, payload: { publicKey: ed25519.publicKey, principals: ['web-*'], ttl: '1d' } });
      expect(res.statusCode).toBe(400);
    });
  });

  describe('authenticates every signing request', () => {
    it('refuses a request without a token with 401 and audits it, before reading the body', async () => {
      const res = await ca.app.inject({ method: 'POST', url: '/v1/certs/user', payload: { publicKey: ed25519.publicKey, principals: ['a'], ttl: '5m' } });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.message).toMatch(/token create/);
      const event = await lastEvent();
      expect(event?.type).toBe('auth.denied');
      expect(event?.code).toBe('AU1000W');
    });

    it('refuses a wrong or revoked token', async () => {
      const bad = await ca.app.inject({ method: 'POST', url: '/v1/certs/user', headers: { authorization: `Bearer acc_${'A'.repeat(43)}` }, payload: {} });
      expect(bad.statusCode).toBe(401);
      const { token, info } = await ca.services.tokens.create({ role: 'admin', description: 'short-lived' }, { kind: 'system', id: 'test' });
      const ok = await ca.app.inject({ method: 'POST', url: '/v1/certs/user', headers: { authorization: `Bearer ${token}` }, payload: { publicKey: ed25519.publicKey, principals: ['a'], ttl: 60 } });
      expect(ok.statusCode).toBe(201);
      await ca.services.tokens.revoke(info.id, { kind: 'system', id: 'test' });
      const revoked = await ca.app.inject({ method: 'POST', url: '/v1/certs/user', headers: { authorization: `Bearer ${token}` }, payload: { publicKey: ed25519.publicKey, principals: ['a'], ttl: 60 } });
      expect(revoked.statusCode).toBe(401);
    });

    it('stores only the hash of a token', async () => {
      const rows = await ca.services.database.db.selectFrom('machine_tokens').select('token_hash').execute();
      expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.token_hash) && r.token_hash !== ca.adminToken)).toBe(true);
    });
  });

  describe('revocation list', () => {
    it('serves a KRL that ssh-keygen agrees with after revoking by serial and by key id', async () => {
      const sign = async (keyId: string) => {
        const res = await ca.app.inject({ method: 'POST', url: '/v1/certs/user', headers: auth, payload: { publicKey: ed25519.publicKey, principals: ['dave'], ttl: '5m', keyId } });
        return res.json() as { certificate: string; serial: string };
      };
      const bySerial = await sign('revoke-me-by-serial');
      const byKeyId = await sign('revoke-me-by-key-id');
      const kept = await sign('keep-me');
      expect((await ca.app.inject({ method: 'POST', url: '/v1/revocations', headers: auth, payload: { serial: bySerial.serial, reason: 'laptop lost' } })).statusCode).toBe(201);
      expect((await ca.app.inject({ method: 'POST', url: '/v1/revocations', headers: auth, payload: { keyId: 'revoke-me-by-key-id' } })).statusCode).toBe(201);
      expect((await lastEvent())?.type).toBe('cert.revoked');

      const krlRes = await ca.app.inject({ method: 'GET', url: '/v1/krl' });
      expect(krlRes.statusCode).toBe(200);
      expect(krlRes.headers['content-type']).toBe('application/octet-stream');
      const dir = ed25519.privatePath.replace(/\/id$/, '');
      writeFileSync(`${dir}/revoked.krl`, krlRes.rawPayload);
      const query = (cert: string) => {
        writeFileSync(`${dir}/q-cert.pub`, `${cert}\n`);
        try {
          execFileSync('ssh-keygen', ['-Q', '-f', `${dir}/revoked.krl`, `${dir}/q-cert.pub`], { stdio: 'pipe' });
          return 'ok';
        } catch {
          return 'revoked';
        }
      };
      expect(query(bySerial.certificate)).toBe('revoked');
      expect(query(byKeyId.certificate)).toBe('revoked');
      expect(query(kept.certificate)).toBe('ok');
      const spec = parseKrl(krlRes.rawPayload);
      expect(spec.certificates.flatMap((s) => s.serials)).toContain(BigInt(bySerial.serial));
    });

    it('refuses to revoke a serial it never issued, and changes nothing', async () => {
      const before = await countRows('revocations');
      const res = await ca.app.inject({ method: 'POST', url: '/v1/revocations', headers: auth, payload: { serial: '999999999' } });
      expect(res.statusCode).toBe(404);
      expect(await countRows('revocations')).toBe(before);
    });
  });

  it('answers health, readiness and metrics', async () => {
    expect((await ca.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await ca.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready', database: kind });
    const metrics = await ca.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/access_ca_certificates_issued_total\{type="user"\} \d+/);
    expect(metrics.body).toMatch(/access_ca_http_requests_total\{route="\/v1\/certs\/user",status="401"\} \d+/);
  });

  it('keeps an intact audit chain through all of the above', async () => {
    const result = await ca.services.audit.verify();
    expect(result.ok).toBe(true);
    expect(result.checked).toBeGreaterThan(20);
  });
});
