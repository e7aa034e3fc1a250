import { testDatabaseKinds } from '@access/db';
import { parseCertificate } from '@access/sshcert';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa } from '../testing/test-ca.ts';
import { createLoginHarness, type LoginHarness } from './testing/login-harness.ts';

const ADMIN = { kind: 'system' as const, id: 'test' };

describe.each(testDatabaseKinds())('access login in browser mode on %s', (kind) => {
  let h: LoginHarness;

  beforeAll(async () => {
    h = await createLoginHarness(kind);
    const { roles, grants } = h.ca.services.identity;
    await roles.create({ name: 'engineer', logins: ['{{email.local}}'], hostLabels: { env: ['dev'] }, maxTtl: '8h', permissions: { pty: true, fileTransfer: true } }, ADMIN);
    await grants.add({ user: 'bob@example.com', role: 'engineer', reason: 'test' }, ADMIN);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** start → CA browser URL → IdP sign-in → CA callback: returns the loopback redirect. */
  async function loginAs(user: string) {
    const started = await h.start('browser');
    expect(started.status).toBe(201);
    const toIdp = await h.ca.app.inject({ method: 'GET', url: h.local(String(started.body['browserUrl'])) });
    expect(toIdp.statusCode).toBe(302);
    const callbackUrl = await h.signIn(String(toIdp.headers.location), user);
    const back = await h.ca.app.inject({ method: 'GET', url: h.local(callbackUrl) });
    expect(back.statusCode).toBe(302);
    const loopback = new URL(String(back.headers.location));
    return { loginId: String(started.body['loginId']), secret: started.secret, loopback, callbackUrl };
  }

  const redeem = (loginId: string, code: string | null, secret: string) =>
    h.ca.app.inject({ method: 'POST', url: `/v1/login/${loginId}/redeem`, payload: { code, secret } });

  async function lastDenial() {
    const [event] = await h.ca.services.audit.list({ type: 'login.denied', limit: 1 });
    return event!;
  }

  it('signs bob in through the IdP and hands the CLI a certificate for his key and a working API token', async () => {
    const certsBefore = await h.certificateCount();
    const started = performance.now();
    const { loginId, secret, loopback } = await loginAs('bob');
    expect(loopback.origin).toBe('http://127.0.0.1:49152');
    expect(loopback.pathname).toBe('/callback');
    expect(loopback.searchParams.get('login')).toBe(loginId);
    const code = loopback.searchParams.get('code');
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const res = await redeem(loginId, code, secret);
    const elapsed = performance.now() - started;
    console.log(`one full browser login (start to redeem) on ${kind}: ${elapsed.toFixed(0)} ms`);
    expect(res.statusCode).toBe(200);
    const result = res.json();
    const cert = parseCertificate(result.certificate);
    expect(cert.principals).toEqual(['bob']);
    expect(cert.extensions).toEqual(['permit-pty']);
    expect(cert.keyId).toBe('bob@example.com');
    expect(Number(cert.validBefore - cert.validAfter)).toBe(8 * 3600 + 300);
    expect(result).toMatchObject({
      principals: ['bob'],
      user: { email: 'bob@example.com', displayName: 'Bob Engineer', groups: ['engineers'] },
      roles: ['engineer'],
      capabilities: [],
      permissions: { pty: true, fileTransfer: true, portForwarding: false },
      gateway: { host: '127.0.0.1', port: 3022 },
    });
    expect(result.knownHosts).toMatch(/^@cert-authority \* ssh-ed25519 /);
    expect(await h.certificateCount()).toBe(certsBefore + 1);

    const whoami = await h.ca.app.inject({ method: 'GET', url: '/test/whoami', headers: { authorization: `Bearer ${result.apiToken}` } });
    expect(whoami.statusCode).toBe(200);
    expect(whoami.json().actor).toMatchObject({ kind: 'user', name: 'bob@example.com' });
    const [completed] = await h.ca.services.audit.list({ type: 'login.completed', limit: 1 });
    expect(completed!.details).toMatchObject({ loginId, mode: 'browser', principals: ['bob'] });
    expect(JSON.stringify(completed!.details)).not.toContain(result.apiToken);

    // Redeeming the same code again is refused: the code is single-use.
    const replay = await redeem(loginId, code, secret);
    expect(replay.statusCode).toBe(400);
    expect(replay.json().error).toMatchObject({ code: 'ERR_LOGIN_CODE', message: expect.stringMatching(/already used/) });
    expect((await lastDenial()).details).toMatchObject({ loginId, step: 'redeem', code: 'ERR_LOGIN_CODE' });
    expect(await h.certificateCount()).toBe(certsBefore + 1);
  });

  it('refuses a callback whose state no login started, and a replayed IdP callback', async () => {
    const certsBefore = await h.certificateCount();
    const forged = await h.ca.app.inject({ method: 'GET', url: '/v1/login/callback?state=forged&code=abc' });
    expect(forged.statusCode).toBe(400);
    expect(forged.headers['content-type']).toMatch(/^text\/html/);
    expect(forged.body).toContain('ERR_OIDC_STATE');
    expect((await lastDenial()).details).toMatchObject({ step: 'callback', code: 'ERR_OIDC_STATE', loginId: null });

    const { callbackUrl } = await loginAs('bob');
    const again = await h.ca.app.inject({ method: 'GET', url: h.local(callbackUrl) });
    expect(again.statusCode).toBe(400);
    expect(again.body).toContain('ERR_OIDC_STATE');
    expect(await h.certificateCount()).toBe(certsBefore);
  });

  it('refuses a code redeemed with another CLI\'s secret, and still serves the CLI that started the login', async () => {
    const certsBefore = await h.certificateCount();
    const { loginId, secret, loopback } = await loginAs('bob');
    const code = loopback.searchParams.get('code');
    const stolen = await redeem(loginId, code, 'a-different-cli-secret-0123456789abcdefghijk');
    expect(stolen.statusCode).toBe(403);
    expect(stolen.json().error.code).toBe('ERR_LOGIN_SECRET');
    expect((await lastDenial()).details).toMatchObject({ loginId, step: 'redeem', code: 'ERR_LOGIN_SECRET' });
    expect(await h.certificateCount()).toBe(certsBefore);
    const wrongCode = await redeem(loginId, 'not-the-code', secret);
    expect(wrongCode.json().error).toMatchObject({ code: 'ERR_LOGIN_CODE', message: expect.stringMatching(/is wrong/) });
    expect((await redeem(loginId, code, secret)).statusCode).toBe(200);
  });

  it('refuses a callback code redeemed after it expired', async () => {
    const certsBefore = await h.certificateCount();
    const { loginId, secret, loopback } = await loginAs('bob');
    h.advance(61);
    const late = await redeem(loginId, loopback.searchParams.get('code'), secret);
    expect(late.statusCode).toBe(400);
    expect(late.json().error).toMatchObject({ code: 'ERR_LOGIN_CODE', message: expect.stringMatching(/expired/) });
    expect((await lastDenial()).details).toMatchObject({ loginId, code: 'ERR_LOGIN_CODE' });
    expect(await h.certificateCount()).toBe(certsBefore);
  });

  it('sends a person whose only grant was revoked back to the CLI with ERR_NO_GRANTS, and signs nothing', async () => {
    const { grants } = h.ca.services.identity;
    const grant = await grants.add({ user: 'alice@example.com', role: 'engineer', reason: 'test' }, ADMIN);
    await grants.revoke(grant.id, ADMIN);
    const certsBefore = await h.certificateCount();
    const { loginId, secret, loopback } = await loginAs('alice');
    expect(loopback.searchParams.get('code')).toBeNull();
    expect(loopback.searchParams.get('error')).toBe('ERR_NO_GRANTS');
    expect(loopback.searchParams.get('message')).toMatch(/revoked/);
    expect((await lastDenial()).details).toMatchObject({ loginId, step: 'callback', code: 'ERR_NO_GRANTS' });
    const [userDenied] = await h.ca.services.audit.list({ type: 'user.login.denied', limit: 1 });
    expect(userDenied!.details).toMatchObject({ email: 'alice@example.com', code: 'ERR_NO_GRANTS' });
    const res = await redeem(loginId, 'anything', secret);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('ERR_LOGIN_DENIED');
    expect(await h.certificateCount()).toBe(certsBefore);
  });

  it('refuses a person whose grant has expired', async () => {
    const grant = await h.ca.services.identity.grants.add({ user: 'carol@example.com', role: 'engineer', expires: '1h', reason: 'test' }, ADMIN);
    await h.ca.services.database.db.updateTable('grants').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', grant.id).execute();
    const certsBefore = await h.certificateCount();
    const { loopback } = await loginAs('carol');
    expect(loopback.searchParams.get('error')).toBe('ERR_NO_GRANTS');
    expect(loopback.searchParams.get('message')).toMatch(/expired/);
    expect(await h.certificateCount()).toBe(certsBefore);
  });

  it('refuses start requests that are malformed, naming the field', async () => {
    const post = (payload: Record<string, unknown>) => h.ca.app.inject({ method: 'POST', url: '/v1/login/start', payload, remoteAddress: '10.0.0.2' });
    const good = { publicKey: h.key.publicKey, mode: 'browser', callbackPort: 50_000, secretHash: 'a'.repeat(43) };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...good, publicKey: 'ssh-ed25519 AAAAnotakey' }, /./],
      [{ ...good, mode: 'device' }, /mode must be/],
      [{ ...good, callbackPort: 80 }, /callbackPort/],
      [{ ...good, secretHash: 'short' }, /secretHash/],
      [{ ...good, extra: 1 }, /unknown field/],
    ];
    for (const [payload, message] of cases) {
      const res = await post(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.message).toMatch(message);
    }
    expect((await lastDenial()).details).toMatchObject({ step: 'start' });
  });

  it('limits how many logins one address starts per minute', async () => {
    for (let i = 0; i < 20; i++) expect((await h.start('browser', '10.9.9.9')).status).toBe(201);
    const limited = await h.start('browser', '10.9.9.9');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ error: { code: 'ERR_RATE_LIMITED' } });
    expect((await h.start('browser', '10.9.9.8')).status).toBe(201);
    h.advance(61);
    expect((await h.start('browser', '10.9.9.9')).status).toBe(201);
  });

  it('answers the browser URL of an unknown login with a page, not a redirect', async () => {
    const res = await h.ca.app.inject({ method: 'GET', url: `/v1/login/lgn_${'0'.repeat(32)}/browser` });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.body).not.toContain('<script');
  });
});

describe('access login without an identity provider', () => {
  it('answers 503 ERR_LOGIN_NOT_CONFIGURED, naming the settings, as JSON for the CLI and as a page for a browser', async () => {
    const ca = await createTestCa('pglite');
    try {
      const res = await ca.app.inject({ method: 'POST', url: '/v1/login/start', payload: { mode: 'browser' } });
      expect(res.statusCode).toBe(503);
      expect(res.json().error).toMatchObject({ code: 'ERR_LOGIN_NOT_CONFIGURED', message: expect.stringMatching(/ACCESS_OIDC_ISSUER.*ACCESS_OIDC_CLIENT_ID.*--dev/) });
      const page = await ca.app.inject({ method: 'GET', url: '/device?code=BCDF-GHJK' });
      expect(page.statusCode).toBe(503);
      expect(page.body).toContain('ACCESS_OIDC_ISSUER');
    } finally {
      await ca.close();
    }
  });
});
