import { testDatabaseKinds } from '@access/db';
import { fingerprint, parseCertificate, parsePublicKey } from '@access/sshcert';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoginHarness, type LoginHarness } from './testing/login-harness.ts';

const ADMIN = { kind: 'system' as const, id: 'test' };

describe.each(testDatabaseKinds())('access login --headless on %s', (kind) => {
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

  const poll = (loginId: string, secret: string) => h.ca.app.inject({ method: 'POST', url: `/v1/login/${loginId}/poll`, payload: { secret } });
  const approve = (code: string, csrf: string | undefined, cookie: string | undefined) =>
    h.ca.app.inject({
      method: 'POST',
      url: '/device/approve',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
      payload: new URLSearchParams({ code, ...(csrf !== undefined ? { csrf } : {}) }).toString(),
    });

  /** start → device URL → IdP sign-in → callback: returns the login and the browser's CSRF cookie. */
  async function signedIn(user: string) {
    const started = await h.start('headless', '192.0.2.7');
    expect(started.status).toBe(201);
    const { loginId, userCode, verificationUrl, interval } = started.body as Record<string, string>;
    expect(userCode).toMatch(/^[BCDFGHJKMNPQRSTVWXZ]{4}-[BCDFGHJKMNPQRSTVWXZ]{4}$/);
    expect(verificationUrl).toBe(`http://127.0.0.1:3080/device?code=${userCode}`);
    expect(interval).toBe(5);
    const device = await h.ca.app.inject({ method: 'GET', url: h.local(verificationUrl!) });
    expect(device.statusCode).toBe(302);
    const callbackUrl = await h.signIn(String(device.headers.location), user);
    const back = await h.ca.app.inject({ method: 'GET', url: h.local(callbackUrl) });
    expect(back.statusCode).toBe(302);
    expect(back.headers.location).toBe(`/device?code=${userCode}`);
    const setCookie = String(back.headers['set-cookie']);
    expect(setCookie).toMatch(/^access_login_csrf=[A-Za-z0-9_-]{43}; Path=\/device; HttpOnly; SameSite=Lax/);
    return { loginId: loginId!, userCode: userCode!, secret: started.secret, cookie: setCookie.split(';')[0]! };
  }

  it('shows the signed-in person who asks, from where and with which key, and issues the certificate after Approve', async () => {
    const certsBefore = await h.certificateCount();
    const { loginId, userCode, secret, cookie } = await signedIn('bob');
    expect((await poll(loginId, secret)).statusCode).toBe(202);

    const page = await h.ca.app.inject({ method: 'GET', url: `/device?code=${userCode.toLowerCase()}`, headers: { cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['content-security-policy']).toContain("form-action 'self'");
    expect(page.body).not.toMatch(/<script/i);
    expect(page.body).toContain('<code>192.0.2.7</code>');
    expect(page.body).toContain(fingerprint(parsePublicKey(h.key.publicKey).blob));
    expect(page.body).toContain('<code>bob</code>');
    expect(page.body).toMatch(/<button type="submit"[^>]*>Approve<\/button>/);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;

    const withoutToken = await approve(userCode, undefined, cookie);
    expect(withoutToken.statusCode).toBe(403);
    expect(withoutToken.body).toContain('ERR_LOGIN_CSRF');
    const wrongToken = await approve(userCode, 'x'.repeat(43), cookie);
    expect(wrongToken.statusCode).toBe(403);
    const withoutCookie = await approve(userCode, csrf, undefined);
    expect(withoutCookie.statusCode).toBe(403);
    const [denied] = await h.ca.services.audit.list({ type: 'login.denied', limit: 1 });
    expect(denied!.details).toMatchObject({ loginId, step: 'approve', code: 'ERR_LOGIN_CSRF' });
    h.advance(5);
    expect((await poll(loginId, secret)).statusCode).toBe(202);
    expect(await h.certificateCount()).toBe(certsBefore);

    const approved = await approve(userCode, csrf, cookie);
    expect(approved.statusCode).toBe(200);
    expect(approved.body).toContain('Approved');

    const tooFast = await poll(loginId, secret);
    expect(tooFast.statusCode).toBe(429);
    expect(tooFast.json().error.code).toBe('ERR_SLOW_DOWN');
    h.advance(5);
    const wrongSecret = await poll(loginId, 'another-cli-secret');
    expect(wrongSecret.statusCode).toBe(403);
    expect(wrongSecret.json().error.code).toBe('ERR_LOGIN_SECRET');
    expect(await h.certificateCount()).toBe(certsBefore);

    const done = await poll(loginId, secret);
    expect(done.statusCode).toBe(200);
    const result = done.json();
    expect(parseCertificate(result.certificate).principals).toEqual(['bob']);
    expect(result.apiToken).toMatch(/^acu_/);
    expect(await h.certificateCount()).toBe(certsBefore + 1);
    h.advance(5);
    const again = await poll(loginId, secret);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('ERR_LOGIN_USED');
  });

  it('does not show the Approve form to a browser that did not sign in for the login', async () => {
    const { userCode } = await signedIn('bob');
    const other = await h.ca.app.inject({ method: 'GET', url: `/device?code=${userCode}` });
    expect(other.statusCode).toBe(403);
    expect(other.body).toContain('ERR_LOGIN_CSRF');
    expect(other.body).not.toContain('Approve</button>');
  });

  it('answers an unknown or malformed user code with a clear page', async () => {
    for (const code of ['BCDF-GHJK', 'not-a-code', '<script>']) {
      const res = await h.ca.app.inject({ method: 'GET', url: `/device?code=${encodeURIComponent(code)}` });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain('ERR_USER_CODE');
      expect(res.body).not.toContain('<script>');
    }
    const entry = await h.ca.app.inject({ method: 'GET', url: '/device' });
    expect(entry.statusCode).toBe(200);
    expect(entry.body).toContain('<form method="get" action="/device">');
  });

  it('tells the polling CLI why a sign-in was refused', async () => {
    const started = await h.start('headless');
    const { loginId, verificationUrl } = started.body as Record<string, string>;
    const device = await h.ca.app.inject({ method: 'GET', url: h.local(verificationUrl!) });
    const callbackUrl = await h.signIn(String(device.headers.location), 'carol');
    const back = await h.ca.app.inject({ method: 'GET', url: h.local(callbackUrl) });
    expect(back.statusCode).toBe(403);
    expect(back.body).toContain('ERR_NO_GRANTS');
    h.advance(5);
    const res = await poll(loginId!, started.secret);
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({ code: 'ERR_LOGIN_DENIED', message: expect.stringMatching(/ERR_NO_GRANTS/) });
  });

  it('expires a login nobody approved within ten minutes', async () => {
    const { loginId, userCode, secret, cookie } = await signedIn('bob');
    h.advance(601);
    const res = await poll(loginId, secret);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('ERR_LOGIN_EXPIRED');
    const page = await h.ca.app.inject({ method: 'GET', url: `/device?code=${userCode}`, headers: { cookie } });
    expect(page.statusCode).toBe(404);
  });
});
