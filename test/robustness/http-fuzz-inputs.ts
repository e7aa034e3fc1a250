import { generateKeyPairSync } from 'node:crypto';

/**
 * Hostile HTTP input for the CA's routes, made from a seeded random source: path parameters,
 * query strings, JSON bodies (random, or a plausible body of the route mutated), text that is
 * not JSON, forms, wrong content types, bodies over the size limits and bytes that are not
 * UTF-8. Only shapes are made here; what to send them to and what to expect is in
 * http-fuzz-run.ts.
 */

export type Random = () => number;
export const int = (rand: Random, max: number): number => Math.floor(rand() * max);
export const pick = <T>(rand: Random, items: readonly T[]): T => items[int(rand, items.length)]!;
export const chance = (rand: Random, p: number): boolean => rand() < p;

/** An OpenSSH ed25519 public key line, so templates that need one reach past the key check. */
export function ed25519PublicKeyLine(): string {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const part = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([part(Buffer.from('ssh-ed25519')), part(raw)]).toString('base64')} fuzz`;
}

const LONG = (rand: Random) => 'x'.repeat(1000 + int(rand, 70_000));
const STRINGS: ReadonlyArray<(rand: Random) => string> = [
  () => '',
  () => ' ',
  () => 'dev',
  () => 'web-1',
  () => '8h',
  () => '-1h',
  () => '99999999999999999999d',
  () => '1e309',
  () => 'NaN',
  () => '2030-02-30T25:61:00Z',
  () => '0',
  () => '-1',
  () => 'true',
  () => 'null',
  () => '__proto__',
  () => 'constructor',
  () => '../../etc/passwd',
  () => 'a/b%2Fc',
  () => '<script>alert(1)</script>',
  () => "'; drop table users; --",
  () => 'ünïcödé 日本語 🙂',
  () => '\u0000\u0001\u001b[31m\u007f',
  () => '\ud800 lone surrogate',
  () => 'env=prod, team=web|*',
  () => 'admin@example.com',
  () => 'ssh-ed25519 AAAA',
  LONG,
  (rand) => String(rand()),
];
export const randomString = (rand: Random): string => pick(rand, STRINGS)(rand);

const NUMBERS = [0, -0, -1, 1, 1.5, 65_535, 1024, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), 1e308, -1e-308, 5e-324];

/** Any JSON value, nested at most `depth` deep. */
export function randomValue(rand: Random, depth = 3): unknown {
  switch (int(rand, depth > 0 ? 7 : 4)) {
    case 0:
      return randomString(rand);
    case 1:
      return pick(rand, NUMBERS);
    case 2:
      return pick(rand, [true, false, null]);
    case 3:
      return String(pick(rand, NUMBERS));
    case 4:
      return Array.from({ length: int(rand, 5) }, () => randomValue(rand, depth - 1));
    case 5:
      return chance(rand, 0.05) ? Array.from({ length: 100 + int(rand, 5000) }, () => 'a') : randomObject(rand, depth - 1);
    default:
      return randomObject(rand, depth - 1);
  }
}

/** Field names the routes know, and names that are trouble anywhere. */
const FIELDS = [
  'name', 'description', 'logins', 'hostLabels', 'maxTtl', 'permissions', 'capabilities', 'user', 'group', 'role', 'expires',
  'reason', 'address', 'labels', 'ttl', 'publicKey', 'principals', 'keyId', 'criticalOptions', 'extensions', 'serial', 'certificate',
  'destination', 'login', 'connectionId', 'names', 'token', 'addresses', 'hostKeys', 'dryRun', 'message', 'signature', 'mode',
  'callbackPort', 'secretHash', 'code', 'csrf', '_csrf', 'kind', 'subject', 'all', 'new', 'q', 'email', 'id', 'constructor', 'prototype',
];

export function randomObject(rand: Random, depth = 2): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = int(rand, 6); i > 0; i--) out[pick(rand, FIELDS)] = randomValue(rand, depth);
  return out;
}

/** Turns one field of a plausible body wrong: missing, mistyped, null, huge, an array for an object, an extra field. */
export function mutate(rand: Random, body: Record<string, unknown>): Record<string, unknown> {
  const out = { ...body };
  const keys = Object.keys(out);
  const key = keys.length > 0 ? pick(rand, keys) : pick(rand, FIELDS);
  switch (int(rand, 9)) {
    case 0:
      delete out[key];
      break;
    case 1:
      out[key] = null;
      break;
    case 2:
      out[key] = randomValue(rand);
      break;
    case 3:
      out[key] = typeof out[key] === 'number' ? String(out[key]) : typeof out[key] === 'string' ? Number(out[key]) || 7 : [out[key]];
      break;
    case 4:
      out[key] = LONG(rand);
      break;
    case 5:
      out[pick(rand, FIELDS)] = randomValue(rand);
      break;
    case 6:
      out[`extra_${int(rand, 100)}`] = 1;
      break;
    case 7:
      out[key] = { nested: out[key] };
      break;
    default:
      // Left as it is: a plausible body reaches the domain's checks, or succeeds.
      break;
  }
  return out;
}

/** JSON text with a key JSON.stringify would not write: `__proto__` and friends as own keys. */
export function pollutedJson(rand: Random, body: Record<string, unknown>): string {
  const inner = JSON.stringify(body).slice(1, -1);
  const key = pick(rand, ['__proto__', 'constructor', 'prototype']);
  const poison = key === '__proto__' ? '{"isAdmin":true,"role":"admin"}' : '{"prototype":{"isAdmin":true}}';
  return `{${inner}${inner ? ',' : ''}"${key}":${poison}}`;
}

/** Text that claims to be JSON and is not, or is JSON a parser may choke on. */
export function brokenJson(rand: Random, body: Record<string, unknown>): string | Buffer {
  const text = JSON.stringify(body);
  switch (int(rand, 9)) {
    case 0:
      return text.slice(0, int(rand, text.length));
    case 1:
      return `${text}}trailing`;
    case 2:
      return pick(rand, ['{"a":}', "{'a':1}", 'NaN', '{"a":1,}', 'undefined', '\ufeff{}', '{"a":"\\x41"}', '"\\ud800"']);
    case 3: {
      const depth = 1000 + int(rand, 20_000);
      return '['.repeat(depth) + ']'.repeat(depth);
    }
    case 4: {
      const depth = 1000 + int(rand, 20_000);
      return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    }
    case 5:
      // Bytes that are not UTF-8 inside a string value.
      return Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from('"}')]);
    case 6:
      return Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d, 0xff]);
    case 7:
      return pick(rand, ['', ' ', '\n', 'null', '[]', '1', '"x"', 'true', '[{}]']);
    default:
      return `{${'"k":1,'.repeat(1000 + int(rand, 5000))}"k":2}`;
  }
}

/** A urlencoded form with some of the named fields and odd ones. */
export function randomForm(rand: Random, template: Record<string, unknown>, extra: Record<string, string> = {}): string {
  const form = new URLSearchParams(extra);
  for (const [k, v] of Object.entries(mutate(rand, template))) form.append(k, typeof v === 'string' ? v : JSON.stringify(v) ?? '');
  if (chance(rand, 0.2)) form.append(pick(rand, FIELDS), randomString(rand));
  if (chance(rand, 0.1)) return `${form.toString()}&%zz=%ff%fe&a[b]=1&__proto__[x]=1`;
  return form.toString();
}

/** Every byte as `%XX`: encodeURIComponent refuses a lone surrogate, which is input like any other. */
const percentEncoded = (text: string): string => Buffer.from(text, 'utf8').toString('hex').replace(/../g, '%$&');

const QUERY_NAMES = [
  'limit', 'before', 'after', 'since', 'until', 'type', 'code', 'actor', 'remote', 'session', 'text', 'user', 'host', 'login', 'status',
  'live', 'format', 'return', 'done', 'state', 'group', 'role', 'active', 'label', 'expiringWithinDays', 'unusedDays', 'sessions',
  'typed', 'q', 'all', 'new', 'from', '__proto__', 'constructor', 'toString', 'hasOwnProperty',
];
const QUERY_VALUES = [
  '', '1', '0', '-1', '100', '1001', '99999999999999999999999', '1e3', '0x10', 'NaN', 'Infinity', 'true', 'yes', '2030-01-01',
  '2030-13-45T99:99:99Z', '1969-12-31T23:59:59Z', '-271821-04-20T00:00:00Z', 'ses_00000000000000000000', 'cert.issued', 'CA1001W',
  'env=prod', 'env', '=x', 'json', 'text', 'csv', '//evil.example/x', 'https://evil.example/', '/ui/../../etc', '%ff%fe', '%zz',
  '%00', 'a%26b%3Dc', '日本', '%F0%9F%99%82',
];

/** A query string (without `?`): repeated keys, brackets, huge or malformed values. */
export function randomQuery(rand: Random): string {
  const parts: string[] = [];
  for (let i = 1 + int(rand, 5); i > 0; i--) {
    const name = chance(rand, 0.9) ? pick(rand, QUERY_NAMES) : percentEncoded(randomString(rand).slice(0, 300));
    const value = chance(rand, 0.05) ? 'v'.repeat(300 + int(rand, 20_000)) : chance(rand, 0.8) ? pick(rand, QUERY_VALUES) : percentEncoded(randomString(rand).slice(0, 2000));
    const form = int(rand, 10);
    if (form === 0) parts.push(name);
    else if (form === 1) parts.push(`${name}[]=${value}`, `${name}[]=${value}`);
    else if (form === 2) parts.push(`${name}[a]=${value}`);
    else if (form === 3) parts.push(`${name}=${value}`, `${name}=${pick(rand, QUERY_VALUES)}`);
    else parts.push(`${name}=${value}`);
  }
  if (chance(rand, 0.05)) parts.push(Array.from({ length: 2000 }, (_, i) => `k${i}=1`).join('&'));
  return parts.join('&');
}

/** A value for a path parameter: one that exists (so the route's later checks run) or an odd one. */
export function pathParam(rand: Random, known: readonly string[]): string {
  if (known.length > 0 && chance(rand, 0.4)) return encodeURIComponent(pick(rand, known));
  return pick(rand, [
    '..', '.', '%2e%2e', '..%2F..%2Fetc%2Fpasswd', 'a%2Fb', '%2F', '%5C..%5C', 'x%00y', '%00', '%zz', '%ff%fe', '%C0%AF',
    encodeURIComponent('ünïcödé-日本-🙂'), '%F0%9F', encodeURIComponent('\u202eevil'), 'x'.repeat(2000 + int(rand, 60_000)),
    '__proto__', 'constructor', 'toString', '-1', '0', '1e999', 'ses_', 'ses_zzzzzzzzzzzzzzzzzzzz', 'usr_00000000', 'null', 'undefined',
    '%20', 'a%3Bb=c', 'a%3Fb', 'a%23b', 'UPPER', percentEncoded(randomString(rand).slice(0, 500)),
  ]);
}

/** The tail of a wildcard route, `/ui/assets/*` and the like. */
export function wildcardTail(rand: Random): string {
  return pick(rand, ['', 'assets/ui.css', 'assets/player.js', 'assets/../../../etc/passwd', 'assets/%2e%2e/%2e%2e/package.json', 'assets/vendor/', 'assets/vendor/xterm-headless.mjs%00', `assets/${'a/'.repeat(500)}`, '%ff', 'x'.repeat(5000), 'assets/UI.CSS', 'assets//ui.css']);
}
