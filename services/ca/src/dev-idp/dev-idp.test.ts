import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelyingParty, type RelyingParty } from '../oidc/relying-party.ts';
import { startDevIdp, type DevIdp } from './dev-idp.ts';
import { browserLogin } from './testing/browser-login.ts';

const REDIRECT_URI = 'http://127.0.0.1:9/v1/login/callback';
const PASSWORD = 'dev-password-for-tests';
const CLIENT = { clientId: 'access-ca', clientSecret: 'dev-client-secret-0123', redirectUris: [REDIRECT_URI] };

let idp: DevIdp;
let rp: RelyingParty;

beforeAll(async () => {
  idp = await startDevIdp({ host: '127.0.0.1', port: 0, password: PASSWORD, clients: [CLIENT] });
  rp = createRelyingParty({
    issuerUrl: idp.issuer,
    clientId: CLIENT.clientId,
    clientSecret: CLIENT.clientSecret,
    redirectUri: REDIRECT_URI,
    scopes: ['openid', 'email', 'profile', 'groups'],
    groupsClaim: 'groups',
    requireVerifiedEmail: true,
    clockTolerance: 30,
  });
});

afterAll(async () => {
  await idp?.close();
});

/** GET the authorization URL and follow redirects to the login page. */
async function loginPage(): Promise<{ response: Response; html: string }> {
  const { url } = await rp.authorizationUrl();
  const first = await fetch(url, { redirect: 'manual' });
  const cookies = first.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const response = await fetch(new URL(first.headers.get('location')!, url), { headers: { cookie: cookies } });
  return { response, html: await response.text() };
}

describe('development identity provider', () => {
  it('refuses to listen anywhere but loopback', async () => {
    for (const host of ['0.0.0.0', '192.168.1.10', '::', 'idp.example.com']) {
      await expect(startDevIdp({ host, port: 0, password: PASSWORD, clients: [CLIENT] })).rejects.toThrow(/loopback/);
    }
  });

  it('publishes discovery for the code flow with S256 PKCE, and a JWKS without private parts', async () => {
    const discovery = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery['issuer']).toBe(idp.issuer);
    expect(discovery['response_types_supported']).toEqual(['code']);
    expect(discovery['code_challenge_methods_supported']).toEqual(['S256']);
    expect(discovery['claims_supported']).toEqual(expect.arrayContaining(['email', 'email_verified', 'name', 'groups']));
    const jwks = (await (await fetch(String(discovery['jwks_uri']))).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('generates a new signing key at every start', async () => {
    const other = await startDevIdp({ host: '127.0.0.1', port: 0, password: PASSWORD, clients: [CLIENT] });
    try {
      const kid = async (issuer: string) => ((await (await fetch(`${issuer}/jwks`)).json()) as { keys: { kid: string; x: string }[] }).keys[0]!;
      const [a, b] = [await kid(idp.issuer), await kid(other.issuer)];
      expect(a.kid).not.toBe(b.kid);
      expect(a.x).not.toBe(b.x);
    } finally {
      await other.close();
    }
  });

  it('shows a login page with labelled Email and Password fields, a Sign in button and no script', async () => {
    const { response, html } = await loginPage();
    expect(response.status).toBe(200);
    expect(html).toMatch(/<label for="login">Email<\/label>/);
    expect(html).toMatch(/<input id="login" name="login"/);
    expect(html).toMatch(/<label for="password">Password<\/label>/);
    expect(html).toMatch(/<input id="password" name="password" type="password"/);
    expect(html).toMatch(/<button type="submit">Sign in<\/button>/);
    expect(html).not.toMatch(/<script/i);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('re-renders the login page with an error after a wrong password, and issues no code', async () => {
    const { url } = await rp.authorizationUrl();
    const result = await browserLogin({ authorizationUrl: url, redirectUri: REDIRECT_URI, login: 'alice@example.com', password: 'wrong' });
    expect(result.callbackUrl).toBeUndefined();
    expect(result.status).toBe(200);
    expect(result.page).toContain('Wrong email or password.');
    expect(result.page).toContain('value="alice@example.com"');
    expect(result.page).toMatch(/<button type="submit">Sign in<\/button>/);
    expect(result.visited.join(' ')).not.toContain('code=');
  });

  it('gives the same answer for an unknown user, and escapes what was typed', async () => {
    const { url } = await rp.authorizationUrl();
    const typed = '"><script>alert(1)</script>';
    const result = await browserLogin({ authorizationUrl: url, redirectUri: REDIRECT_URI, login: typed, password: PASSWORD });
    expect(result.callbackUrl).toBeUndefined();
    expect(result.page).toContain('Wrong email or password.');
    expect(result.page).not.toContain('<script>');
    expect(result.page).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('refuses an authorization request without PKCE', async () => {
    const { url } = await rp.authorizationUrl();
    const withoutPkce = new URL(url);
    withoutPkce.searchParams.delete('code_challenge');
    withoutPkce.searchParams.delete('code_challenge_method');
    const response = await fetch(withoutPkce, { redirect: 'manual' });
    const location = new URL(response.headers.get('location')!);
    expect(location.href.startsWith(REDIRECT_URI)).toBe(true);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('refuses a redirect URI that was not registered, without redirecting to it', async () => {
    const { url } = await rp.authorizationUrl();
    const evil = new URL(url);
    evil.searchParams.set('redirect_uri', 'https://evil.example.com/cb');
    const response = await fetch(evil, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).not.toContain('<script');
  });
});
