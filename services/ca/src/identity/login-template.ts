import { badRequest } from '../errors.ts';

/** What a login template may refer to. */
export interface LoginIdentity {
  email: string;
}

/** A Linux login name as most distributions accept it (useradd's default rule, 32 characters). */
export const LOGIN_PATTERN = /^[a-z_][a-z0-9._-]{0,31}$/;
const TEMPLATE_VARIABLE = /\{\{\s*([^}]*?)\s*\}\}/g;
const KNOWN_VARIABLES = ['email.local'];

/**
 * System accounts a template must never resolve to: a person whose email is `root@…` or
 * `daemon@…` does not become that account. (Literal logins may still name them; the
 * signing policy's forbidden principals cover `root`.)
 */
const RESERVED_LOGINS: ReadonlySet<string> = new Set([
  'root', 'bin', 'daemon', 'adm', 'lp', 'sync', 'shutdown', 'halt', 'mail', 'news', 'uucp', 'operator',
  'games', 'ftp', 'nobody', 'sys', 'man', 'proxy', 'www-data', 'backup', 'list', 'irc', 'gnats', 'sshd',
  'systemd-network', 'systemd-resolve', 'messagebus', 'polkitd', 'syslog', 'postgres', 'ubuntu', 'ec2-user',
  'admin', 'centos', 'debian', 'fedora', 'git', 'access',
]);

const fail = (message: string): never => {
  throw badRequest('ERR_LOGIN_TEMPLATE', message);
};

/** True when the template contains `{{…}}`, i.e. resolves per person rather than naming a shared account. */
export function isLoginTemplate(template: string): boolean {
  return template.includes('{{');
}

/** Checks a login template at the boundary (role create/update): literal logins and known variables only. */
export function validateLoginTemplate(template: string): void {
  if (!isLoginTemplate(template)) return checkLogin(template, `the login "${template}"`);
  for (const [, name = ''] of template.matchAll(TEMPLATE_VARIABLE)) {
    if (!KNOWN_VARIABLES.includes(name)) {
      fail(`unknown variable {{${name}}} in login template "${template}"; known: ${KNOWN_VARIABLES.map((v) => `{{${v}}}`).join(', ')}`);
    }
  }
  // Exactly one variable, no prefix or suffix: a login then maps back to one person's email.
  if (!/^\{\{\s*email\.local\s*\}\}$/.test(template)) fail(`login template "${template}" must be exactly {{email.local}}, or a literal login`);
}

/**
 * Resolves one login template for a person. `{{email.local}}` is the email's local part,
 * lowercased, with every character outside `[a-z0-9._-]` removed. The result must be a
 * valid login that is not a system account; otherwise an AccessError (ERR_LOGIN_TEMPLATE)
 * says why.
 */
export function resolveLogin(template: string, identity: LoginIdentity): string {
  validateLoginTemplate(template);
  if (!isLoginTemplate(template)) return template;
  const at = identity.email.lastIndexOf('@');
  const local = at > 0 ? identity.email.slice(0, at) : '';
  if (!local) fail(`the email "${identity.email}" has no local part to make a login from`);
  const login = local.toLowerCase().replace(/[^a-z0-9._-]/g, '');
  if (!login) fail(`the email local part "${local}" has no characters usable in a login (a-z, 0-9, ".", "_", "-"); ask an admin for a role with a literal login`);
  checkLogin(login, `the login "${login}" made from the email local part "${local}"`);
  if (RESERVED_LOGINS.has(login)) fail(`the login "${login}" made from the email "${identity.email}" is a system account and is never given out by a template`);
  return login;
}

function checkLogin(login: string, what: string): void {
  if (login.length > 32) fail(`${what} is longer than 32 characters`);
  if (!/^[a-z_]/.test(login)) fail(`${what} must start with a lowercase letter or "_"`);
  if (!LOGIN_PATTERN.test(login)) fail(`${what} may only contain a-z, 0-9, ".", "_" and "-"`);
}
