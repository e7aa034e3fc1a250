import type { CertType } from '@access/sshcert';
import { badRequest } from '../errors.ts';

/** What a caller asks the CA to sign, before any policy has looked at it. */
export interface SignRequest {
  type: CertType;
  publicKey: string;
  principals: string[];
  ttl: string | number;
  keyId?: string | undefined;
  criticalOptions?: { forceCommand?: string | undefined; sourceAddress?: string | undefined; verifyRequired?: boolean | undefined } | undefined;
  extensions?: string[] | undefined;
  /**
   * Which CA signs a user certificate: the user CA (default) or the upstream CA, for the
   * gateway's per-session certificates. Never read from an HTTP body.
   */
  signer?: 'user' | 'upstream' | undefined;
}

const USER_FIELDS = new Set(['publicKey', 'principals', 'ttl', 'keyId', 'criticalOptions', 'extensions']);
const HOST_FIELDS = new Set(['publicKey', 'principals', 'ttl', 'keyId']);
const OPTION_FIELDS = new Set(['forceCommand', 'sourceAddress', 'verifyRequired']);

function fail(message: string): never {
  throw badRequest('ERR_BAD_REQUEST', message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyKnown(value: Record<string, unknown>, allowed: Set<string>, where: string): void {
  const unknown = Object.keys(value).filter((k) => !allowed.has(k));
  if (unknown.length > 0) fail(`${where} has unknown field(s): ${unknown.slice(0, 5).join(', ')}; allowed: ${[...allowed].join(', ')}`);
}

function text(value: unknown, name: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0) fail(`${name} must be a non-empty string`);
  if (value.length > max) fail(`${name} is longer than ${max} characters`);
  return value;
}

function optionalText(value: unknown, name: string, max: number): string | undefined {
  return value === undefined ? undefined : text(value, name, max);
}

function stringList(value: unknown, name: string, max: number): string[] {
  if (!Array.isArray(value)) fail(`${name} must be an array of strings`);
  if (value.length > max) fail(`${name} has more than ${max} entries`);
  return value.map((v, i) => text(v, `${name}[${i}]`, 255));
}

/** Checks the shape of a JSON body (types, sizes, no unknown fields); policy comes later. */
export function parseSignRequest(type: CertType, body: unknown): SignRequest {
  if (!isRecord(body)) fail('the body must be a JSON object');
  onlyKnown(body, type === 'user' ? USER_FIELDS : HOST_FIELDS, 'the request');
  const ttl = body['ttl'];
  if (typeof ttl !== 'string' && typeof ttl !== 'number') fail('ttl must be a duration such as "10m" or a number of seconds');
  const request: SignRequest = {
    type,
    publicKey: text(body['publicKey'], 'publicKey', 16_384),
    principals: stringList(body['principals'], 'principals', 256),
    ttl,
    keyId: optionalText(body['keyId'], 'keyId', 256),
  };
  const options = body['criticalOptions'];
  if (options !== undefined) {
    if (!isRecord(options)) fail('criticalOptions must be an object');
    onlyKnown(options, OPTION_FIELDS, 'criticalOptions');
    const verifyRequired = options['verifyRequired'];
    if (verifyRequired !== undefined && typeof verifyRequired !== 'boolean') fail('criticalOptions.verifyRequired must be true or false');
    request.criticalOptions = {
      forceCommand: optionalText(options['forceCommand'], 'criticalOptions.forceCommand', 4096),
      sourceAddress: optionalText(options['sourceAddress'], 'criticalOptions.sourceAddress', 4096),
      verifyRequired,
    };
  }
  if (body['extensions'] !== undefined) request.extensions = stringList(body['extensions'], 'extensions', 16);
  return request;
}
