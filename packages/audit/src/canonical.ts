import { createHash } from 'node:crypto';
import type { AuditRecord } from './event-types.ts';

/** The `prevHash` of the first record, and what `audit_head` holds before any append. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * JSON with one spelling per value, so a hash over it survives a trip through jsonb (which
 * reorders keys and drops whitespace): object keys sorted by UTF-16 code unit, no
 * whitespace, undefined properties dropped (undefined array items become null, as in
 * JSON.stringify).
 *
 * bigint and Date become strings (decimal, ISO 8601) — exactly what they read back as from
 * jsonb, so the encoding of a value and of its stored copy are the same. Values JSON cannot
 * carry faithfully (NaN, ±Infinity, functions, symbols, Maps, class instances, cycles)
 * throw a TypeError rather than being quietly changed.
 */
export function canonicalJson(value: unknown): string {
  const encoded = encode(value, []);
  if (encoded === undefined) throw new TypeError('canonicalJson: undefined has no JSON encoding');
  return encoded;
}

function encode(value: unknown, ancestors: object[]): string | undefined {
  switch (typeof value) {
    case 'undefined':
      return undefined;
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'function':
    case 'symbol':
      throw new TypeError(`canonicalJson: a ${typeof value} has no JSON encoding`);
    case 'object':
      return value === null ? 'null' : encodeObject(value, ancestors);
  }
}

function encodeObject(value: object, ancestors: object[]): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError('canonicalJson: invalid Date');
    return JSON.stringify(value.toISOString());
  }
  if (ancestors.includes(value)) throw new TypeError('canonicalJson: circular structure');
  const inner = [...ancestors, value];
  if (Array.isArray(value)) {
    return `[${value.map((item: unknown) => encode(item, inner) ?? 'null').join(',')}]`;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    throw new TypeError(`canonicalJson: a ${name} is not a plain object`);
  }
  const members: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const encoded = encode((value as Record<string, unknown>)[key], inner);
    if (encoded !== undefined) members.push(`${JSON.stringify(key)}:${encoded}`);
  }
  return `{${members.join(',')}}`;
}

/**
 * sha256 (hex) over the canonical JSON of the record's fields other than `hash`. The fields
 * are picked by name, so passing a whole AuditRecord (hash included) gives the same result.
 */
export function hashRecord(record: Omit<AuditRecord, 'hash'>): string {
  const { seq, id, time, type, code, actor, remote, details, prevHash } = record;
  const encoding = canonicalJson({ seq, id, time, type, code, actor, remote, details, prevHash });
  return createHash('sha256').update(encoding, 'utf8').digest('hex');
}
