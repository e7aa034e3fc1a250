import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, GENESIS_HASH, hashRecord } from './canonical.ts';
import type { AuditRecord } from './event-types.ts';

describe('canonicalJson', () => {
  it('encodes objects the same whatever order their keys were written in', () => {
    const a = { b: 1, a: 2, c: { z: true, y: null } };
    const b = { c: { y: null, z: true }, a: 2, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":2,"b":1,"c":{"y":null,"z":true}}');
  });

  it('sorts keys inside nested objects and objects in arrays, and keeps array order', () => {
    const value = { outer: { m: [3, 1, { d: 'x', c: [{ f: 1, e: 2 }] }], k: {} } };
    expect(canonicalJson(value)).toBe('{"outer":{"k":{},"m":[3,1,{"c":[{"e":2,"f":1}],"d":"x"}]}}');
  });

  it('sorts keys by UTF-16 code unit, so upper case comes before lower case', () => {
    expect(canonicalJson({ b: 1, B: 2, a: 3, é: 4 })).toBe('{"B":2,"a":3,"b":1,"é":4}');
  });

  it('writes bigint as a decimal string, beyond the range of a double', () => {
    expect(canonicalJson({ serial: 18446744073709551615n, small: -3n })).toBe('{"serial":"18446744073709551615","small":"-3"}');
  });

  it('writes a Date as its ISO string with milliseconds', () => {
    expect(canonicalJson({ at: new Date(Date.UTC(2024, 4, 1, 12, 34, 56, 7)) })).toBe('{"at":"2024-05-01T12:34:56.007Z"}');
  });

  it('gives a value and its jsonb read-back (bigint and Date as strings) the same encoding', () => {
    const value = { n: 5n, at: new Date(0) };
    expect(canonicalJson(JSON.parse(canonicalJson(value)))).toBe(canonicalJson(value));
  });

  it('drops undefined properties and writes undefined array items as null', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, 1] })).toBe('{"b":[null,1]}');
  });

  it('escapes strings as JSON does', () => {
    expect(canonicalJson({ 'k"ey': 'line\nbreak "quoted" \\ \u0001' })).toBe('{"k\\"ey":"line\\nbreak \\"quoted\\" \\\\ \\u0001"}');
  });

  it('rejects NaN and the infinities with a TypeError', () => {
    expect(() => canonicalJson({ n: NaN })).toThrow(TypeError);
    expect(() => canonicalJson([Infinity])).toThrow(TypeError);
    expect(() => canonicalJson(-Infinity)).toThrow(TypeError);
  });

  it('rejects functions, symbols, invalid dates, non-plain objects and cycles with a TypeError', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    for (const value of [{ f: () => 1 }, { s: Symbol('x') }, { d: new Date(NaN) }, { m: new Map() }, { b: Buffer.from('x') }, cyclic, undefined]) {
      expect(() => canonicalJson(value)).toThrow(TypeError);
    }
  });

  it('accepts the same object twice when it is not its own ancestor', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"x":1},"b":[{"x":1}]}');
  });
});

describe('hashRecord', () => {
  const record: Omit<AuditRecord, 'hash'> = {
    seq: 1n,
    id: '6f1c2d2e-7d4b-4c38-9a4e-3c4f8f0d9a11',
    time: new Date('2024-05-01T12:00:00.000Z'),
    type: 'cert.issued',
    code: 'CA1000I',
    actor: { kind: 'user', id: 'u1' },
    remote: null,
    details: { serial: '7' },
    prevHash: GENESIS_HASH,
  };

  it('starts the chain from 64 zeros', () => {
    expect(GENESIS_HASH).toMatch(/^0{64}$/);
  });

  it('is the sha256 hex of the canonical JSON of the record fields', () => {
    const expected = createHash('sha256').update(canonicalJson(record)).digest('hex');
    expect(hashRecord(record)).toBe(expected);
    expect(hashRecord(record)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ignores a hash field passed along with the record', () => {
    expect(hashRecord({ ...record, hash: 'f'.repeat(64) } as AuditRecord)).toBe(hashRecord(record));
  });

  it('changes when any field changes', () => {
    const base = hashRecord(record);
    const variants: Array<Omit<AuditRecord, 'hash'>> = [
      { ...record, seq: 2n },
      { ...record, id: 'other' },
      { ...record, time: new Date(record.time.getTime() + 1) },
      { ...record, type: 'cert.denied' },
      { ...record, code: 'CA1001W' },
      { ...record, actor: { kind: 'user', id: 'u2' } },
      { ...record, remote: '10.0.0.1' },
      { ...record, details: { serial: '8' } },
      { ...record, prevHash: '1'.repeat(64) },
    ];
    for (const variant of variants) expect(hashRecord(variant)).not.toBe(base);
  });
});
