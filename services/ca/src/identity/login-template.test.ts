import { describe, expect, it } from 'vitest';
import { AccessError } from '../errors.ts';
import { resolveLogin, validateLoginTemplate } from './login-template.ts';

const refusal = (fn: () => unknown): AccessError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AccessError);
    return error as AccessError;
  }
  throw new Error('expected an AccessError');
};

describe('resolveLogin', () => {
  it('turns {{email.local}} into the lowercased local part', () => {
    expect(resolveLogin('{{email.local}}', { email: 'Alice.Smith@Example.com' })).toBe('alice.smith');
  });

  it('removes every character outside a-z, 0-9, ".", "_" and "-", including accents and plus tags', () => {
    expect(resolveLogin('{{email.local}}', { email: 'Jöhn.Doe+x@example.com' })).toBe('jhn.doex');
  });

  it('accepts spaces inside the braces', () => {
    expect(resolveLogin('{{ email.local }}', { email: 'bob@example.com' })).toBe('bob');
  });

  it('refuses a local part that sanitizes to nothing, and says so', () => {
    const e = refusal(() => resolveLogin('{{email.local}}', { email: 'ööö+@example.com' }));
    expect(e.code).toBe('ERR_LOGIN_TEMPLATE');
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/no characters usable in a login/);
  });

  it('refuses a login that would start with a digit or a dot', () => {
    expect(refusal(() => resolveLogin('{{email.local}}', { email: '1alice@example.com' })).message).toMatch(/must start with a lowercase letter/);
    expect(refusal(() => resolveLogin('{{email.local}}', { email: '.alice@example.com' })).message).toMatch(/must start with a lowercase letter/);
  });

  it('refuses a login longer than 32 characters', () => {
    expect(refusal(() => resolveLogin('{{email.local}}', { email: `${'a'.repeat(33)}@example.com` })).message).toMatch(/longer than 32/);
    expect(resolveLogin('{{email.local}}', { email: `${'a'.repeat(32)}@example.com` })).toBe('a'.repeat(32));
  });

  it('never resolves a template to a system account such as root', () => {
    expect(refusal(() => resolveLogin('{{email.local}}', { email: 'Root@example.com' })).message).toMatch(/system account/);
  });

  it('returns a literal login unchanged and validates it the same way', () => {
    expect(resolveLogin('deploy', { email: 'x@example.com' })).toBe('deploy');
    expect(refusal(() => resolveLogin('Deploy', { email: 'x@example.com' })).code).toBe('ERR_LOGIN_TEMPLATE');
    expect(refusal(() => resolveLogin('de ploy', { email: 'x@example.com' })).message).toMatch(/may only contain/);
  });

  it('refuses an unknown variable and names the known ones', () => {
    const e = refusal(() => validateLoginTemplate('{{email.domain}}'));
    expect(e.message).toMatch(/unknown variable \{\{email\.domain\}\}/);
    expect(e.message).toMatch(/\{\{email\.local\}\}/);
  });

  it('refuses a template with text around the variable or unbalanced braces', () => {
    expect(refusal(() => validateLoginTemplate('x-{{email.local}}')).message).toMatch(/must be exactly/);
    expect(refusal(() => validateLoginTemplate('{{email.local')).message).toMatch(/must be exactly/);
  });
});
