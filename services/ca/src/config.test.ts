import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('reads ACCESS_BOOTSTRAP_ADMINS as lowercased, unique emails', () => {
    const config = loadConfig({}, { ACCESS_BOOTSTRAP_ADMINS: ' Alice@Example.com, bob@example.com,alice@example.com,' });
    expect(config.bootstrapAdmins).toEqual(['alice@example.com', 'bob@example.com']);
  });

  it('has no bootstrap admins unless told', () => {
    expect(loadConfig({}, {}).bootstrapAdmins).toEqual([]);
  });

  it('refuses an ACCESS_BOOTSTRAP_ADMINS entry that is not an email, naming it', () => {
    expect(() => loadConfig({}, { ACCESS_BOOTSTRAP_ADMINS: 'alice@example.com,bob' })).toThrow(ConfigError);
    expect(() => loadConfig({}, { ACCESS_BOOTSTRAP_ADMINS: 'alice@example.com,bob' })).toThrow(/"bob" is not one/);
  });

  it('derives the public URL from --http-addr, and the OIDC redirect URI from the public URL', () => {
    const config = loadConfig({ httpAddr: '127.0.0.1:4000' }, {});
    expect(config.publicUrl).toBe('http://127.0.0.1:4000');
    expect(config.gateway).toEqual({ host: '127.0.0.1', port: 3022 });
    expect(config.oidc).toBeUndefined();
    const withIdp = loadConfig({}, {
      ACCESS_PUBLIC_URL: 'https://access.example.com/',
      ACCESS_GATEWAY_ADDR: 'bastion.example.com:22',
      ACCESS_OIDC_ISSUER: 'https://idp.example.com',
      ACCESS_OIDC_CLIENT_ID: 'access',
      ACCESS_OIDC_CLIENT_SECRET_FILE: '/etc/access/oidc-client-secret',
    });
    expect(withIdp.publicUrl).toBe('https://access.example.com');
    expect(withIdp.gateway).toEqual({ host: 'bastion.example.com', port: 22 });
    expect(withIdp.oidc?.redirectUri).toBe('https://access.example.com/v1/login/callback');
  });

  it('refuses an ACCESS_PUBLIC_URL that is not an http(s) URL', () => {
    expect(() => loadConfig({}, { ACCESS_PUBLIC_URL: 'access.example.com' })).toThrow(/ACCESS_PUBLIC_URL must be a URL/);
    expect(() => loadConfig({}, { ACCESS_PUBLIC_URL: 'ftp://access.example.com' })).toThrow(/http:\/\/ or https:\/\//);
  });
});
