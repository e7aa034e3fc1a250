import { isIP } from 'node:net';
import { parsePublicKey, type SshPublicKey } from '@access/sshcert';
import { badRequest } from '../errors.ts';
import { checkHostAddress, checkHostName } from '../identity/hosts.ts';
import { isRecord } from '../http/routes/request-input.ts';

/** What `POST /v1/enroll` carries: the token is the only credential. */
export interface EnrollRequest {
  token: string;
  name: string;
  /** host:port the gateway dials; defaults to the first address, port 22. */
  address: string | undefined;
  /** Addresses the host reported (IPs or DNS names, optionally with a port). */
  addresses: string[];
  hostKeys: SshPublicKey[];
  /** Check the token and the request, change nothing, and do not use the token. */
  dryRun: boolean;
}

/** `POST /v1/enroll/renew`: a message signed with one of the host's enrolled keys. */
export interface RenewRequest {
  message: string;
  signature: string;
}

const MAX_HOST_KEYS = 8;
const MAX_ADDRESSES = 16;
const ENROLL_FIELDS = ['token', 'name', 'address', 'addresses', 'hostKeys', 'dryRun'];

const fail = (message: string): never => {
  throw badRequest('ERR_BAD_REQUEST', message);
};

function field(body: Record<string, unknown>, name: string, max: number): string {
  const value = body[name];
  if (typeof value !== 'string' || value.length === 0) return fail(`${name} must be a non-empty string`);
  if (value.length > max) fail(`${name} is longer than ${max} characters`);
  return value;
}

function list(body: Record<string, unknown>, name: string, max: number): string[] {
  const value = body[name] ?? [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0 || v.length > 16_384)) fail(`${name} must be a list of non-empty strings`);
  if ((value as unknown[]).length > max) fail(`${name} has more than ${max} entries`);
  return value as string[];
}

function record(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (!isRecord(body)) return fail('the body must be a JSON object');
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length) fail(`unknown field(s): ${unknown.slice(0, 5).join(', ')}; allowed: ${allowed.join(', ')}`);
  return body;
}

/** The file name stem sshd's host keys use for a key type: ssh_host_<stem>_key. */
export function hostKeyStem(type: string): string {
  return type === 'ssh-ed25519' ? 'ed25519' : type === 'ssh-rsa' ? 'rsa' : 'ecdsa';
}

/** `10.0.0.5` → `10.0.0.5:22`, `fd00::5` → `[fd00::5]:22`; an address with a port stays as it is. */
export function dialAddress(address: string): string {
  if (isIP(address) === 6) return `[${address}]:22`;
  if (isIP(address) === 4 || !address.includes(':')) return checkHostAddress(`${address}:22`);
  return checkHostAddress(address);
}

export function parseEnrollRequest(body: unknown): EnrollRequest {
  const b = record(body, ENROLL_FIELDS);
  const dryRun = b['dryRun'] ?? false;
  if (typeof dryRun !== 'boolean') fail('dryRun must be true or false');
  const hostKeys = list(b, 'hostKeys', MAX_HOST_KEYS).map((line, i) => {
    try {
      return parsePublicKey(line);
    } catch (error) {
      throw badRequest('ERR_BAD_HOST_KEY', `hostKeys[${i}] is not a usable host public key: ${(error as Error).message}`, error);
    }
  });
  if (hostKeys.length === 0) fail('hostKeys must name at least one host public key (/etc/ssh/ssh_host_*_key.pub)');
  const stems = hostKeys.map((k) => hostKeyStem(k.type));
  if (new Set(stems).size !== stems.length) fail('hostKeys has two keys of one kind; send one key per kind (ed25519, ecdsa, rsa)');
  const addresses = list(b, 'addresses', MAX_ADDRESSES);
  addresses.forEach((a) => dialAddress(a));
  return {
    token: field(b, 'token', 200),
    name: checkHostName(field(b, 'name', 253).toLowerCase()),
    address: b['address'] === undefined ? undefined : dialAddress(field(b, 'address', 300)),
    addresses,
    hostKeys,
    dryRun: dryRun as boolean,
  };
}

export function parseRenewRequest(body: unknown): RenewRequest {
  const b = record(body, ['message', 'signature']);
  return { message: field(b, 'message', 600), signature: field(b, 'signature', 16_384) };
}
