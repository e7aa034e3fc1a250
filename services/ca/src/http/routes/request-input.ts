import { badRequest } from '../../errors.ts';

/**
 * Shape checks for admin request bodies and query strings: a JSON object, no unknown
 * fields, the right types and sizes. What a value means (a valid role name, a duration)
 * is the domain layer's check; this only makes sure it is handed the types it expects.
 */
const fail = (message: string): never => {
  throw badRequest('ERR_BAD_REQUEST', message);
};

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The body as an object holding only `allowed` fields; a missing body counts as `{}`.
 * `refused` explains fields that are known but may not be given here (`name` in a PATCH).
 */
export function objectBody(body: unknown, allowed: readonly string[], refused: Record<string, string> = {}): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (!isRecord(body)) fail('the body must be a JSON object');
  const record = body as Record<string, unknown>;
  const unknown = Object.keys(record).filter((k) => !allowed.includes(k));
  const explained = unknown.find((k) => Object.hasOwn(refused, k));
  if (explained !== undefined) fail(`${explained} may not be given here: ${refused[explained]}`);
  if (unknown.length > 0) fail(`unknown field(s): ${unknown.slice(0, 5).join(', ')}; allowed: ${allowed.join(', ') || 'none'}`);
  return record;
}

/** A PATCH body: known fields only, and at least one of them. */
export function changeBody(body: unknown, allowed: readonly string[], refused: Record<string, string> = {}): Record<string, unknown> {
  const record = objectBody(body, allowed, refused);
  if (Object.keys(record).length === 0) fail(`nothing to change: give at least one of ${allowed.join(', ')}`);
  return record;
}

export function text(value: unknown, name: string, max: number): string {
  if (typeof value !== 'string' || value.trim() === '') fail(`${name} must be a non-empty string`);
  if ((value as string).length > max) fail(`${name} is longer than ${max} characters`);
  return value as string;
}

export function optionalText(value: unknown, name: string, max: number): string | undefined {
  return value === undefined ? undefined : text(value, name, max);
}

export function textList(value: unknown, name: string, maxItems: number, maxLength: number): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) fail(`${name} must be a list of strings`);
  const list = value as unknown[];
  if (list.length > maxItems) fail(`${name} has more than ${maxItems} entries`);
  return list.map((v, i) => text(v, `${name}[${i}]`, maxLength));
}

/** A duration as the domain takes it: `"8h"` or a number of seconds. */
export function duration(value: unknown, name: string): string | number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' || (typeof value === 'string' && value.length > 0 && value.length <= 40)) return value;
  return fail(`${name} must be a duration such as "8h" or "30d", or a number of seconds`);
}

export function requiredDuration(value: unknown, name: string): string | number {
  return duration(value, name) ?? fail(`${name} is required: a duration such as "8h" or "30d", or a number of seconds`);
}

/** An object whose values the domain checks further (labels, permissions). */
export function plainObject(value: unknown, name: string, maxKeys: number): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) fail(`${name} must be a JSON object`);
  const record = value as Record<string, unknown>;
  if (Object.keys(record).length > maxKeys) fail(`${name} has more than ${maxKeys} entries`);
  return record;
}

/** Query parameters: known names only, each given at most once unless `repeatable`. */
export function queryParams(query: unknown, allowed: readonly string[], repeatable: readonly string[] = []): Record<string, string[]> {
  const record = isRecord(query) ? query : {};
  const out: Record<string, string[]> = {};
  for (const [key, raw] of Object.entries(record)) {
    if (!allowed.includes(key)) fail(`unknown query parameter "${key.slice(0, 40)}"; allowed: ${allowed.join(', ')}`);
    const values = Array.isArray(raw) ? raw.map(String) : [String(raw)];
    if (values.length > 1 && !repeatable.includes(key)) fail(`the query parameter ${key} may be given once`);
    if (values.length > 64) fail(`the query parameter ${key} is given more than 64 times`);
    for (const v of values) if (v === '' || v.length > 255) fail(`the query parameter ${key} must be 1-255 characters`);
    out[key] = values;
  }
  return out;
}

/** `true` or `false`, exactly. */
export function booleanParam(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') fail(`${name} must be true or false, got "${value.slice(0, 40)}"`);
  return value === 'true';
}
