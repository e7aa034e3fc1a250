import type { JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessError } from '../errors.ts';
import { createRelyingParty, type RelyingParty, type RelyingPartyOptions } from './relying-party.ts';
import { startFakeIssuer, type FakeIssuer } from './testing/fake-issuer.ts';

// Hand-made bad ID tokens, served by a test-only token endpoint (see fake-issuer.ts for why).
const REDIRECT_URI = 'http://127.0.0.1:9/v1/login/callback';

let fake: FakeIssuer;
let rp: RelyingParty;

function party(overrides: Partial<RelyingPartyOptions> = {}): RelyingParty {
  return createRelyingParty({
    issuerUrl: fake.issuer,
    clientId: 'access-ca',
    clientSecret: 'secret',
    redirectUri: REDIRECT_URI,
    scopes: ['openid', 'email', 'profile'],
    groupsClaim: 'groups',
    requireVerifiedEmail: true,
    clockTolerance: 30,
    ...overrides,
  });
}

beforeAll(async () => {
  fake = await startFakeIssuer({ clientId: 'access-ca' });
  rp = party();
});

afterAll(async () => {
  await fake?.close();
});

/** Starts a login, has the token endpoint answer with the token `make` builds, and calls back. */
async function loginWith(make: (good: JWTPayload) => Promise<string> | string, relyingParty = rp) {
  const request = await relyingParty.authorizationUrl();
  const code = fake.issueCode(await make(fake.goodClaims(request.nonce)));
  const callbackUrl = `${REDIRECT_URI}?code=${code}&state=${request.state}`;
  return { request, callbackUrl, result: relyingParty.callback(callbackUrl, request) };
}

async function refused(make: (good: JWTPayload) => Promise<string> | string, relyingParty = rp): Promise<AccessError> {
  const { result } = await loginWith(make, relyingParty);
  const error = await result.then(
    (claims) => ({ claims }),
    (e: unknown) => e,
  );
  expect(error, 'the login should have been refused, and no claims returned').toBeInstanceOf(AccessError);
  return error as AccessError;
}

describe('ID token checks', () => {
  it('accepts a good token (the baseline for every refusal below)', async () => {
    const { result } = await loginWith((good) => fake.sign(good));
    await expect(result).resolves.toEqual({
      issuer: fake.issuer,
      subject: 'user-123',
      email: 'dana@example.com',
      emailVerified: true,
      displayName: 'Dana',
      groups: ['engineers'],
    });
  });

  it('refuses a token for another audience', async () => {
    const error = await refused((good) => fake.sign({ ...good, aud: 'some-other-client' }));
    expect(error.code).toBe('ERR_OIDC_TOKEN');
    expect(error.message).toMatch(/audience/);
  });

  it('refuses a token from another issuer', async () => {
    const error = await refused((good) => fake.sign({ ...good, iss: 'https://evil.example.com' }));
    expect(error.code).toBe('ERR_OIDC_TOKEN');
    expect(error.message).toMatch(/issuer/);
  });

  it('refuses an expired token', async () => {
    const error = await refused((good) => fake.sign({ ...good, iat: Number(good.iat) - 3600, exp: Number(good.iat) - 600 }));
    expect(error.code).toBe('ERR_OIDC_TOKEN');
    expect(error.message).toMatch(/expired/);
  });

  it('refuses a token issued in the future beyond the clock tolerance', async () => {
    const error = await refused((good) => fake.sign({ ...good, iat: Number(good.iat) + 600, exp: Number(good.iat) + 900 }));
    expect(error.code).toBe('ERR_OIDC_TOKEN');
    expect(error.message).toMatch(/iat/);
  });

  it('refuses a token signed by a key the provider does not publish', async () => {
    const error = await refused((good) => fake.sign(good, { key: fake.otherKey }));
    expect(error.code).toBe('ERR_OIDC_TOKEN');
    expect(error.message).toMatch(/signature/);
  });

  it('refuses a forged token that names an unknown key id', async () => {
    const error = await refused((good) => fake.sign(good, { key: fake.otherKey, kid: 'attacker-key' }));
    expect(error.code).toBe('ERR_OIDC_TOKEN');
    expect(error.message).toMatch(/signature/);
  });

  it('refuses an unsigned token (alg none)', async () => {
    const error = await refused((good) => fake.unsigned(good));
    expect(error.code).toBe('ERR_OIDC_TOKEN');
    expect(error.message).toMatch(/alg none/);
  });

  it('refuses a token without a nonce', async () => {
    const error = await refused((good) => fake.sign({ ...good, nonce: undefined }));
    expect(error.code).toBe('ERR_OIDC_NONCE');
  });

  it('refuses a token whose nonce belongs to another login', async () => {
    const error = await refused((good) => fake.sign({ ...good, nonce: 'another-login' }));
    expect(error.code).toBe('ERR_OIDC_NONCE');
  });

  it('refuses an unverified email address', async () => {
    const error = await refused((good) => fake.sign({ ...good, email_verified: false }));
    expect(error.code).toBe('ERR_OIDC_EMAIL_UNVERIFIED');
    expect(error.status).toBe(403);
  });

  it('accepts an unverified email address when the check is configured off', async () => {
    const { result } = await loginWith((good) => fake.sign({ ...good, email_verified: false }), party({ requireVerifiedEmail: false }));
    await expect(result).resolves.toMatchObject({ email: 'dana@example.com', emailVerified: false });
  });

  it('reads groups from the configured claim, and none when it is absent', async () => {
    const custom = party({ groupsClaim: 'cognito:groups' });
    const { result } = await loginWith((good) => fake.sign({ ...good, 'cognito:groups': ['a', 'b'] }), custom);
    await expect(result).resolves.toMatchObject({ groups: ['a', 'b'] });
    const { result: none } = await loginWith((good) => fake.sign({ ...good, groups: undefined }));
    await expect(none).resolves.toMatchObject({ groups: [] });
  });

  it('refuses a groups claim that is not a list of strings', async () => {
    const error = await refused((good) => fake.sign({ ...good, groups: 'admins' }));
    expect(error.code).toBe('ERR_OIDC_TOKEN');
    expect(error.message).toMatch(/groups/);
    const nested = await refused((good) => fake.sign({ ...good, groups: [['admins']] }));
    expect(nested.code).toBe('ERR_OIDC_TOKEN');
  });

  it('refuses a replayed authorization code at the token endpoint', async () => {
    const { request, callbackUrl, result } = await loginWith((good) => fake.sign(good));
    await result;
    const error = await rp.callback(callbackUrl, request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccessError);
    expect((error as AccessError).code).toBe('ERR_OIDC_GRANT');
  });

  it('reports an authorization error sent back by the provider as ERR_OIDC_DENIED', async () => {
    const request = await rp.authorizationUrl();
    const callbackUrl = `${REDIRECT_URI}?error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E&state=${request.state}`;
    const error = (await rp.callback(callbackUrl, request).catch((e: unknown) => e)) as AccessError;
    expect(error).toBeInstanceOf(AccessError);
    expect(error.code).toBe('ERR_OIDC_DENIED');
    expect(error.message).toContain('access_denied');
    expect(error.message).not.toContain('<b>');
  });

  it('never puts the token or the code in an error message', async () => {
    let token = '';
    const { callbackUrl, result } = await loginWith(async (good) => (token = await fake.sign({ ...good, aud: 'x' })));
    const error = (await result.catch((e: unknown) => e)) as AccessError;
    const code = new URL(callbackUrl).searchParams.get('code')!;
    expect(error.message).not.toContain(token.split('.')[1]!);
    expect(error.message).not.toContain(code);
    expect(String((error.cause as Error | undefined)?.message ?? '')).not.toContain(token.split('.')[1]!);
  });
});
