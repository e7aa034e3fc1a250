import { badRequest } from '../../errors.ts';
import type { SessionStatus } from '@access/db';
import { checkHostName } from '../../identity/hosts.ts';
import { LOGIN_PATTERN } from '../../identity/login-template.ts';
import { MAX_SESSION_LIST, SESSION_ID, type SessionFilter } from '../../sessions/session-store.ts';
import { booleanParam, queryParams } from './request-input.ts';

/** `GET /v1/sessions` query parameters → a filter; each bad one is a 400 that names it. */

const DEFAULT_LIMIT = 100;
const STATUSES: readonly SessionStatus[] = ['live', 'ended', 'interrupted'];
const MAX_TEXT = 200;
/** The largest chunk seq `after` takes: chunks are flushed once a second, so ~68 years. */
const MAX_SEQ = 2 ** 31 - 1;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
// A date (midnight UTC) or a date and time with its zone: a time without one would mean the server's zone.
const ISO_TIME = /^\d{4}-\d\d-\d\d(?:T\d\d:\d\d(?::\d\d(?:\.\d{1,9})?)?(?:Z|[+-]\d\d:\d\d))?$/;

const bad = (message: string) => badRequest('ERR_BAD_REQUEST', message);
const shown = (value: string) => JSON.stringify(value.slice(0, 60));

export function isoTime(value: string, name: string): Date {
  const ms = ISO_TIME.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw bad(`${name} must be an ISO 8601 time with a zone, e.g. 2030-01-31T09:00:00Z, or a date; got ${shown(value)}`);
  // Date.parse rolls a day that does not exist (2030-02-30) over into the next month.
  const [y, m, d] = value.slice(0, 10).split('-').map(Number);
  const day = new Date(Date.UTC(y!, m! - 1, d));
  if (day.getUTCMonth() !== m! - 1 || day.getUTCDate() !== d) throw bad(`${name} is not a date on the calendar; got ${shown(value)}`);
  return new Date(ms);
}

function limit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LIMIT;
  const n = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_SESSION_LIST)) throw bad(`limit must be a whole number from 1 to ${MAX_SESSION_LIST}; got ${shown(value)}`);
  return n;
}

function before(value: string | undefined): SessionFilter['before'] {
  if (value === undefined) return undefined;
  if (value.startsWith('ses_')) {
    if (!SESSION_ID.test(value)) throw bad(`before must be a session id (ses_ and 20 hex digits) or an ISO time; got ${shown(value)}`);
    return { sessionId: value };
  }
  return { time: isoTime(value, 'before (a session id or an ISO time)') };
}

function status(value: string | undefined): SessionStatus | undefined {
  if (value === undefined) return undefined;
  if (!(STATUSES as readonly string[]).includes(value)) throw bad(`status must be one of ${STATUSES.join(', ')}; got ${shown(value)}`);
  return value as SessionStatus;
}

function text(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length > MAX_TEXT) throw bad(`text must be at most ${MAX_TEXT} characters`);
  if (!/[\p{L}\p{N}]/u.test(value)) throw bad(`text must hold a word to search for (letters or digits); got ${shown(value)}`);
  return value;
}

export function parseSessionQuery(query: unknown): SessionFilter {
  const q = queryParams(query, ['user', 'host', 'login', 'status', 'text', 'since', 'until', 'live', 'limit', 'before']);
  const one = (name: string): string | undefined => q[name]?.[0];
  const user = one('user');
  if (user !== undefined && !EMAIL.test(user)) throw bad(`user must be an email address; got ${shown(user)}`);
  const host = one('host');
  if (host !== undefined) checkHostName(host);
  const login = one('login');
  if (login !== undefined && !LOGIN_PATTERN.test(login)) throw bad(`login must be a Linux login name (a-z, 0-9, ".", "_", "-", at most 32); got ${shown(login)}`);
  const since = one('since') === undefined ? undefined : isoTime(one('since')!, 'since');
  const until = one('until') === undefined ? undefined : isoTime(one('until')!, 'until');
  if (since && until && since >= until) throw bad(`since (${since.toISOString()}) must be before until (${until.toISOString()})`);
  return {
    userEmail: user,
    host,
    login,
    status: status(one('status')),
    text: text(one('text')),
    since,
    until,
    live: booleanParam(one('live'), 'live'),
    limit: limit(one('limit')),
    before: before(one('before')),
  };
}

/**
 * `GET /v1/sessions/:id/recording` query: `after`, the last chunk seq a live view has (from
 * `x-access-chunk-seq`), or nothing for the whole recording.
 */
export function parseRecordingQuery(query: unknown): { after: number | undefined } {
  const q = queryParams(query, ['after']);
  const value = q['after']?.[0];
  if (value === undefined) return { after: undefined };
  const n = /^(?:-1|\d{1,10})$/.test(value) ? Number(value) : NaN;
  if (!(n >= -1 && n <= MAX_SEQ)) throw bad(`after must be a chunk seq (a whole number from -1, as x-access-chunk-seq gives it); got ${shown(value)}`);
  return { after: n };
}
