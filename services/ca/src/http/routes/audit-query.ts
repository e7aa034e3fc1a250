import { AUDIT_EVENT_CODES, isAuditEventType, type AuditEventType } from '@access/audit';
import { DEFAULT_AUDIT_LIMIT, MAX_AUDIT_LIMIT, MAX_AUDIT_TEXT, type AuditFilter } from '../../audit/audit-search.ts';
import { badRequest } from '../../errors.ts';
import { SESSION_ID } from '../../sessions/session-store.ts';
import { queryParams } from './request-input.ts';
import { isoTime } from './session-query.ts';

export type { AuditFilter } from '../../audit/audit-search.ts';

/**
 * `GET /v1/audit` query parameters → a filter; each bad one is a 400 that names it. The web
 * UI parses its own query string with this too, so both search the same way.
 */

const PARAMETERS = ['type', 'code', 'actor', 'since', 'until', 'remote', 'session', 'text', 'before', 'after', 'limit'] as const;
const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(AUDIT_EVENT_CODES));
// A seq: 1 to 2^63 − 1, in decimal without leading zeros.
const SEQ = /^[1-9]\d{0,18}$/;
const MAX_SEQ = 2n ** 63n - 1n;

const bad = (message: string) => badRequest('ERR_BAD_REQUEST', message);
const shown = (value: string) => JSON.stringify(value.slice(0, 60));

/** `type` may be repeated and may list several, comma-separated. */
function types(values: readonly string[] | undefined): AuditEventType[] | undefined {
  if (values === undefined) return undefined;
  const list = values.flatMap((v) => v.split(',')).map((v) => v.trim());
  for (const type of list) {
    if (!isAuditEventType(type)) throw bad(`type must be an audit event type such as cert.issued or session.start; got ${shown(type)}`);
  }
  return [...new Set(list as AuditEventType[])];
}

function code(value: string | undefined): string | undefined {
  if (value !== undefined && !KNOWN_CODES.has(value)) throw bad(`code must be an audit event code such as CA1000I or SE1000I; got ${shown(value)}`);
  return value;
}

function seq(value: string | undefined, name: string): bigint | undefined {
  if (value === undefined) return undefined;
  const n = SEQ.test(value) ? BigInt(value) : 0n;
  if (n < 1n || n > MAX_SEQ) throw bad(`${name} must be an event's seq, a whole number from 1; got ${shown(value)}`);
  return n;
}

function time(value: string | undefined, name: string): Date | undefined {
  return value === undefined ? undefined : isoTime(value, name);
}

function limit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_AUDIT_LIMIT;
  const n = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_AUDIT_LIMIT)) throw bad(`limit must be a whole number from 1 to ${MAX_AUDIT_LIMIT}; got ${shown(value)}`);
  return n;
}

function text(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw bad('text must not be blank');
  if (value.length > MAX_AUDIT_TEXT) throw bad(`text must be at most ${MAX_AUDIT_TEXT} characters; got ${value.length}`);
  return value;
}

function exact(value: string | undefined, name: string): string | undefined {
  if (value !== undefined && value.trim() !== value) throw bad(`${name} must not start or end with spaces; got ${shown(value)}`);
  return value;
}

export function parseAuditQuery(query: unknown): AuditFilter {
  const q = queryParams(query, PARAMETERS, ['type']);
  const one = (name: (typeof PARAMETERS)[number]): string | undefined => q[name]?.[0];
  const session = one('session');
  if (session !== undefined && !SESSION_ID.test(session)) throw bad(`session must be a session id (ses_ and 20 hex digits); got ${shown(session)}`);
  const since = time(one('since'), 'since');
  const until = time(one('until'), 'until');
  if (since && until && since >= until) throw bad(`since (${since.toISOString()}) must be before until (${until.toISOString()})`);
  const before = seq(one('before'), 'before');
  const after = seq(one('after'), 'after');
  if (before !== undefined && after !== undefined) throw bad('give before (older events, newest first) or after (newer events, oldest first), not both');
  return {
    types: types(q['type']),
    code: code(one('code')),
    actor: exact(one('actor'), 'actor'),
    since,
    until,
    remote: exact(one('remote'), 'remote'),
    sessionId: session,
    text: text(one('text')),
    before,
    after,
    limit: limit(one('limit')),
  };
}
