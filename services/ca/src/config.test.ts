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
});
