import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessError } from '../errors.ts';
import { startDevIdp, type DevIdp } from '../dev-idp/dev-idp.ts';
import { browserLogin } from '../dev-idp/testing/browser-login.ts';
import { createRelyingParty, type RelyingParty } from './relying-party.ts';

// The whole authorization code + PKCE flow against the real development provider (oidc-provider).
const REDIRECT_URI = 'http://127.0.0.1:9/v1/login/callback';
const PASSWORD = 'correct horse battery staple';

let idp: DevIdp;
let rp: RelyingParty;

beforeAll(async () => {
  idp = await startDevIdp({
    host: '127.0.0.1',
    port: 0,
    password: PASSWORD,
    clients: [{ clientId: 'access-ca', clientSecret: 'test-secret-0123456789', redirectUris: [REDIRECT_URI] }],
  });
  rp = createRelyingParty({
    issuerUrl: idp.issuer,
    clientId: 'access-ca',
    clientSecret: 'test-secret-0123456789',
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

async function signIn(login: string, password = PASSWORD) {
  const request = await rp.authorizationUrl();
  const result = await browserLogin({ authorizationUrl: request.url, redirectUri: REDIRECT_URI, login, password });
  return { request, result };
}

async function refusal(promise: Promise<unknown>): Promise<AccessError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AccessError);
  return error as AccessError;
}

describe('relying party against the development identity provider', () => {
  it('completes a code + PKCE login and returns alice with her groups', async () => {
    const { request, result } = await signIn('alice@example.com');
    expect(result.callbackUrl, result.visited.join('\n')).toBeDefined();
    const callback = new URL(result.callbackUrl!);
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect(callback.searchParams.get('state')).toBe(request.state);

    const claims = await rp.callback(callback, request);
    expect(claims).toEqual({
      issuer: idp.issuer,
      subject: 'alice',
      email: 'alice@example.com',
      emailVerified: true,
      displayName: 'Alice Admin',
      groups: ['admins'],
    });
  });

  it('sends S256 PKCE, state and nonce in the authorization URL', async () => {
    const request = await rp.authorizationUrl();
    const url = new URL(request.url);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('state')).toBe(request.state);
    expect(url.searchParams.get('nonce')).toBe(request.nonce);
    expect(url.searchParams.get('scope')).toBe('openid email profile groups');
    expect(request.url).not.toContain(request.codeVerifier);
  });

  it('accepts the short user name too (bob)', async () => {
    const { request, result } = await signIn('bob');
    const claims = await rp.callback(result.callbackUrl!, request);
    expect(claims.email).toBe('bob@example.com');
    expect(claims.groups).toEqual(['engineers']);
  });

  it('refuses a callback whose state is not the one the login started with', async () => {
    const { request, result } = await signIn('carol');
    const error = await refusal(rp.callback(result.callbackUrl!, { ...request, state: 'another-login' }));
    expect(error.code).toBe('ERR_OIDC_STATE');
  });

  it('refuses a callback without state', async () => {
    const { request, result } = await signIn('carol');
    const url = new URL(result.callbackUrl!);
    url.searchParams.delete('state');
    expect((await refusal(rp.callback(url, request))).code).toBe('ERR_OIDC_STATE');
  });

  it('refuses an ID token whose nonce is not the one this login sent', async () => {
    const { request, result } = await signIn('alice');
    const error = await refusal(rp.callback(result.callbackUrl!, { ...request, nonce: 'some-other-nonce' }));
    expect(error.code).toBe('ERR_OIDC_NONCE');
  });

  it('refuses when no nonce was kept for the login', async () => {
    const { request, result } = await signIn('alice');
    expect((await refusal(rp.callback(result.callbackUrl!, { ...request, nonce: '' }))).code).toBe('ERR_OIDC_NONCE');
  });

  it('refuses a code redeemed with the wrong PKCE verifier', async () => {
    const { request, result } = await signIn('alice');
    const error = await refusal(rp.callback(result.callbackUrl!, { ...request, codeVerifier: 'x'.repeat(43) }));
    expect(error.code).toBe('ERR_OIDC_GRANT');
  });

  it('refuses a replayed authorization code at the token endpoint', async () => {
    const { request, result } = await signIn('alice');
    await rp.callback(result.callbackUrl!, request);
    const error = await refusal(rp.callback(result.callbackUrl!, request));
    expect(error.code).toBe('ERR_OIDC_GRANT');
  });

  it('reports an unreachable provider as ERR_OIDC_PROVIDER', async () => {
    const offline = createRelyingParty({
      issuerUrl: 'http://127.0.0.1:9',
      clientId: 'x',
      clientSecret: 'y',
      redirectUri: REDIRECT_URI,
      scopes: ['openid'],
      groupsClaim: 'groups',
      requireVerifiedEmail: true,
      clockTolerance: 30,
    });
    const error = await refusal(offline.authorizationUrl());
    expect(error.code).toBe('ERR_OIDC_PROVIDER');
    expect(error.status).toBe(502);
  });

  it('refuses a plain-http issuer that is not on this machine', () => {
    expect(() =>
      createRelyingParty({ issuerUrl: 'http://idp.example.com', clientId: 'x', clientSecret: 'y', redirectUri: REDIRECT_URI, scopes: ['openid'], groupsClaim: 'groups', requireVerifiedEmail: true, clockTolerance: 30 }),
    ).toThrow(/https/);
  });
});
