import { isIP } from 'node:net';
import type { CertType } from './certificate.ts';
import { SshCertError, quote } from './errors.ts';
import { hostBitsAreZero, ipToBytes } from './ip-address.ts';

// What the CA checks before it signs. Each function throws a typed error with
// a message fit for the person who asked for the certificate.

export const KNOWN_EXTENSIONS: readonly string[] = Object.freeze([
  'no-touch-required',
  'permit-X11-forwarding',
  'permit-agent-forwarding',
  'permit-port-forwarding',
  'permit-pty',
  'permit-user-rc',
]);

export const KNOWN_CRITICAL_OPTIONS: readonly string[] = Object.freeze(['force-command', 'source-address', 'verify-required']);

const MAX_PRINCIPALS = 256;
const MAX_PRINCIPAL_LENGTH = 255;
const MAX_FORCE_COMMAND = 4096;
const DNS_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;
const FORBIDDEN_ANYWHERE = /[\s\p{Cc}\p{Cs},!]/u;
const USER_WILDCARDS = /[*?]/;

function principalError(message: string): SshCertError {
  return new SshCertError('ERR_PRINCIPAL_INVALID', message);
}

export function validatePrincipals(type: CertType, principals: readonly string[]): void {
  if (principals.length === 0) throw principalError('At least one principal is required');
  if (principals.length > MAX_PRINCIPALS) throw principalError(`At most ${MAX_PRINCIPALS} principals are allowed; got ${principals.length}`);
  const seen = new Set<string>();
  for (const principal of principals) {
    if (seen.has(principal)) throw principalError(`Principal ${quote(principal)} is listed twice`);
    seen.add(principal);
    if (principal.length === 0 || principal.length > MAX_PRINCIPAL_LENGTH) {
      throw principalError(`Principal ${quote(principal)} must be 1 to ${MAX_PRINCIPAL_LENGTH} characters long`);
    }
    if (FORBIDDEN_ANYWHERE.test(principal)) {
      throw principalError(`Principal ${quote(principal)} must not contain whitespace, control characters, ',' or '!'`);
    }
    if (type === 'user' && USER_WILDCARDS.test(principal)) {
      throw principalError(`User principal ${quote(principal)} must not contain the wildcards '*' or '?'`);
    }
    if (type === 'host' && !isHostName(principal)) {
      throw principalError(`Host principal ${quote(principal)} must be a DNS name, an IP address, or "*." followed by a DNS name`);
    }
  }
}

function isHostName(name: string): boolean {
  if (isIP(name) !== 0) return /^[0-9a-fA-F.:]+$/.test(name);
  const dns = name.startsWith('*.') ? name.slice(2) : name;
  return dns.length <= 253 && dns.split('.').every((label) => DNS_LABEL.test(label));
}

function optionError(message: string): SshCertError {
  return new SshCertError('ERR_OPTION_INVALID', message);
}

export function validateCriticalOptions(options: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(options)) {
    if (typeof value !== 'string') throw optionError(`Critical option ${quote(name)} must have a string value`);
    switch (name) {
      case 'force-command':
        if (value.length === 0) throw optionError('force-command must not be empty');
        if (value.length > MAX_FORCE_COMMAND) throw optionError(`force-command must be at most ${MAX_FORCE_COMMAND} characters`);
        if (value.includes('\0')) throw optionError('force-command must not contain a NUL character');
        break;
      case 'source-address':
        validateSourceAddress(value);
        break;
      case 'verify-required':
        if (value !== '') throw optionError('verify-required takes no value');
        break;
      default:
        throw optionError(`Unknown critical option ${quote(name)}; allowed: ${KNOWN_CRITICAL_OPTIONS.join(', ')}`);
    }
  }
}

/** A comma list of addresses or CIDR blocks, as sshd's addr_match_cidr_list accepts. */
function validateSourceAddress(list: string): void {
  if (list === '') throw optionError('source-address must list at least one address or CIDR block');
  for (const entry of list.split(',')) {
    const [address = '', prefixText, extra] = entry.split('/');
    const bytes = ipToBytes(address);
    if (extra !== undefined || bytes === undefined || !/^[0-9a-fA-F.:]+$/.test(address)) {
      throw optionError(`source-address entry ${quote(entry)} is not an IP address or CIDR block`);
    }
    if (prefixText === undefined) continue;
    const maxPrefix = bytes.length * 8;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > maxPrefix) {
      throw optionError(`source-address entry ${quote(entry)} has a prefix length outside 0..${maxPrefix}`);
    }
    if (!hostBitsAreZero(bytes, Number(prefixText))) {
      throw optionError(`source-address entry ${quote(entry)} has host bits set; sshd refuses it (use the network address)`);
    }
  }
}

export function validateExtensions(extensions: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of extensions) {
    if (!KNOWN_EXTENSIONS.includes(name)) {
      throw new SshCertError('ERR_EXTENSION_INVALID', `Unknown extension ${quote(name)}; allowed: ${KNOWN_EXTENSIONS.join(', ')}`);
    }
    if (seen.has(name)) throw new SshCertError('ERR_EXTENSION_INVALID', `Extension ${quote(name)} is listed twice`);
    seen.add(name);
  }
}
