import { describe, expect, it } from 'vitest';
import { loadOidcConfig } from './oidc-config.ts';

const BASE = {
  ACCESS_OIDC_ISSUER: 'https://idp.example.com/',
  ACCESS_OIDC_CLIENT_ID: 'access-ca',
  ACCESS_OIDC_CLIENT_SECRET_FILE: '/etc/access/oidc-client-secret',
  ACCESS_OIDC_REDIRECT_URI: 'https://access.example.com/v1/login/callback',
};

describe('loadOidcConfig', () => {
  it('is off when no issuer is configured', () => {
    expect(loadOidcConfig({}, { credentialsDir: undefined })).toBeUndefined();
  });

  it('reads the settings with safe defaults', () => {
    expect(loadOidcConfig(BASE, { credentialsDir: undefined })).toEqual({
      issuerUrl: 'https://idp.example.com',
      clientId: 'access-ca',
      clientSecretFile: '/etc/access/oidc-client-secret',
      redirectUri: 'https://access.example.com/v1/login/callback',
      scopes: ['openid', 'email', 'profile'],
      groupsClaim: 'groups',
      requireVerifiedEmail: true,
      clockTolerance: 30,
    });
  });

  it('takes scopes, groups claim, email rule and tolerance from the environment', () => {
    const config = loadOidcConfig(
      { ...BASE, ACCESS_OIDC_SCOPES: 'openid,email groups', ACCESS_OIDC_GROUPS_CLAIM: 'cognito:groups', ACCESS_OIDC_REQUIRE_VERIFIED_EMAIL: 'false', ACCESS_OIDC_CLOCK_TOLERANCE: '1m' },
      { credentialsDir: '/run/credentials/access-ca.service' },
    );
    expect(config).toMatchObject({
      scopes: ['openid', 'email', 'groups'],
      groupsClaim: 'cognito:groups',
      requireVerifiedEmail: false,
      clockTolerance: 60,
      clientSecretFile: '/run/credentials/access-ca.service/oidc-client-secret',
    });
  });

  it('refuses incomplete or malformed settings', () => {
    const { ACCESS_OIDC_CLIENT_ID: _id, ...noClient } = BASE;
    expect(() => loadOidcConfig(noClient, { credentialsDir: undefined })).toThrow(/ACCESS_OIDC_CLIENT_ID/);
    const { ACCESS_OIDC_CLIENT_SECRET_FILE: _f, ...noSecret } = BASE;
    expect(() => loadOidcConfig(noSecret, { credentialsDir: undefined })).toThrow(/SECRET_FILE/);
    expect(() => loadOidcConfig({ ...BASE, ACCESS_OIDC_SCOPES: 'email' }, { credentialsDir: undefined })).toThrow(/openid/);
    expect(() => loadOidcConfig({ ...BASE, ACCESS_OIDC_REQUIRE_VERIFIED_EMAIL: 'maybe' }, { credentialsDir: undefined })).toThrow(/true or false/);
    expect(() => loadOidcConfig({ ...BASE, ACCESS_OIDC_ISSUER: 'not a url' }, { credentialsDir: undefined })).toThrow(/URL/);
  });

  it('never reads a client secret from the environment', () => {
    const { ACCESS_OIDC_CLIENT_SECRET_FILE: _f, ...noSecret } = BASE;
    expect(() => loadOidcConfig({ ...noSecret, ACCESS_OIDC_CLIENT_SECRET: 'abc' }, { credentialsDir: undefined })).toThrow(/SECRET_FILE/);
  });
});
