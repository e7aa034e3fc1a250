import { describe, expect, it } from 'vitest';
import { SshCertError } from './errors.ts';
import { KNOWN_CRITICAL_OPTIONS, KNOWN_EXTENSIONS, validateCriticalOptions, validateExtensions, validatePrincipals } from './policy.ts';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof SshCertError) return error.code;
    throw error;
  }
  return 'accepted';
}

describe('validatePrincipals', () => {
  it('accepts ordinary user and host principals', () => {
    expect(codeOf(() => validatePrincipals('user', ['alice', 'deploy-bot', 'svc.backup@corp']))).toBe('accepted');
    expect(codeOf(() => validatePrincipals('host', ['web-1', 'db.internal.example.com', '*.example.com', '10.0.0.1', '2001:db8::1']))).toBe('accepted');
  });

  it.each([
    ['an empty list', 'user', []],
    ['a duplicate', 'user', ['alice', 'alice']],
    ['an empty name', 'user', ['']],
    ['a name over 255 characters', 'user', ['a'.repeat(256)]],
    ['whitespace', 'user', ['al ice']],
    ['a control character', 'user', ['al\u0007ice']],
    ['a comma', 'user', ['alice,root']],
    ['a negation', 'user', ['!root']],
    ['a user wildcard *', 'user', ['ali*']],
    ['a user wildcard ?', 'user', ['alic?']],
    ['a host wildcard in the middle', 'host', ['web.*.example.com']],
    ['a bare host wildcard', 'host', ['*']],
    ['a host label starting with a hyphen', 'host', ['-web.example.com']],
    ['a host name with a slash', 'host', ['web/1']],
    ['an IPv6 zone id', 'host', ['fe80::1%eth0']],
  ] as const)('rejects %s', (_, type, principals) => {
    expect(codeOf(() => validatePrincipals(type, principals))).toBe('ERR_PRINCIPAL_INVALID');
  });

  it('rejects more than 256 principals and accepts exactly 256', () => {
    const many = Array.from({ length: 257 }, (_, i) => `user${i}`);
    expect(codeOf(() => validatePrincipals('user', many))).toBe('ERR_PRINCIPAL_INVALID');
    expect(codeOf(() => validatePrincipals('user', many.slice(0, 256)))).toBe('accepted');
  });
});

describe('validateCriticalOptions', () => {
  it('accepts the known options with good values', () => {
    expect(KNOWN_CRITICAL_OPTIONS).toEqual(['force-command', 'source-address', 'verify-required']);
    const good = { 'force-command': 'rsync --server', 'source-address': '10.0.0.0/8,192.0.2.7,2001:db8::/32,::1', 'verify-required': '' };
    expect(codeOf(() => validateCriticalOptions(good))).toBe('accepted');
  });

  it.each([
    ['an unknown option', { 'no-pty': '' }],
    ['an empty force-command', { 'force-command': '' }],
    ['a force-command over 4096 characters', { 'force-command': 'x'.repeat(4097) }],
    ['a force-command with NUL', { 'force-command': 'ls\0rm' }],
    ['an empty source-address', { 'source-address': '' }],
    ['a host name in source-address', { 'source-address': 'example.com' }],
    ['an empty source-address entry', { 'source-address': '10.0.0.0/8,' }],
    ['a space in source-address', { 'source-address': '10.0.0.0/8, 10.1.0.0/16' }],
    ['an IPv4 prefix over 32', { 'source-address': '10.0.0.0/33' }],
    ['an IPv6 prefix over 128', { 'source-address': '::/129' }],
    ['a prefix with a leading zero', { 'source-address': '10.0.0.0/08' }],
    ['host bits set under the prefix', { 'source-address': '10.0.0.1/8' }],
    ['IPv6 host bits set under the prefix', { 'source-address': '2001:db8::1/32' }],
    ['a verify-required value', { 'verify-required': 'yes' }],
  ])('rejects %s', (_, options) => {
    expect(codeOf(() => validateCriticalOptions(options))).toBe('ERR_OPTION_INVALID');
  });
});

describe('validateExtensions', () => {
  it('accepts every known extension once', () => {
    expect(codeOf(() => validateExtensions(KNOWN_EXTENSIONS))).toBe('accepted');
    expect(KNOWN_EXTENSIONS).toHaveLength(6);
  });

  it('rejects unknown and repeated extensions', () => {
    expect(codeOf(() => validateExtensions(['permit-pty', 'permit-pty']))).toBe('ERR_EXTENSION_INVALID');
    expect(codeOf(() => validateExtensions(['permit-everything']))).toBe('ERR_EXTENSION_INVALID');
  });
});
