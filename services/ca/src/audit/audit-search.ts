import { fromAuditEventRow, type AuditEventType, type AuditRecord } from '@access/audit';
import type { Db } from '@access/db';
import { badRequest } from '../errors.ts';
import { filterWhere, matchesNothing, searchBounds } from './audit-search-where.ts';
import { textScan, TEXT_SCAN_LIMITS, type TextScanLimits } from './audit-text-scan.ts';

/** Which audit events to read. Every field narrows the search; they combine with AND. */
export interface AuditFilter {
  /** Any of these types. */
  types?: readonly AuditEventType[] | undefined;
  code?: string | undefined;
  /** The actor's id or name (a person's email), exactly. */
  actor?: string | undefined;
  /** At or after. */
  since?: Date | undefined;
  /** Before. */
  until?: Date | undefined;
  /** The client address, exactly. */
  remote?: string | undefined;
  /** details.sessionId, exactly: what the gateway recorded about one session. */
  sessionId?: string | undefined;
  /** A substring of the actor's or the details' JSON, in any case; see `searchAudit`. */
  text?: string | undefined;
  /** Newest first, from the event before this seq. */
  before?: bigint | undefined;
  /** Oldest first, from the event after this seq. */
  after?: bigint | undefined;
  limit: number;
}

export interface AuditPage {
  /** Newest first; oldest first when the filter has `after`. */
  events: AuditRecord[];
  /** Newest first: `before` for the next (older) page; null when there is none. */
  nextBefore: bigint | null;
  /** Oldest first: `after` for the next (newer) page; null when there is none. */
  nextAfter: bigint | null;
  /** Text search only: how many events matching the other filters this page read. */
  scanned: number | null;
  /** Text search only: the page stopped at a bound of what it may read, not at the end of the log; go on with the cursor. */
  partial: boolean;
}

export interface AuditSearchOptions {
  /** How much one text search page reads at most (tests make it small). */
  textScan?: TextScanLimits;
}

export const DEFAULT_AUDIT_LIMIT = 100;
export const MAX_AUDIT_LIMIT = 1000;
export const MAX_AUDIT_TEXT = 200;

/**
 * One page of the audit log, by keyset on seq, so paging is exact while events are appended.
 * Time, type, code, actor, session and remote filters each use an index that ends in seq.
 * A text search reads a bounded stretch of the log per page: see `textScan`.
 */
export async function searchAudit(db: Db, filter: AuditFilter, options: AuditSearchOptions = {}): Promise<AuditPage> {
  const limit = filter.limit;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AUDIT_LIMIT) throw bad(`limit must be a whole number from 1 to ${MAX_AUDIT_LIMIT}`);
  if (filter.before !== undefined && filter.after !== undefined) throw bad('give before (newest first) or after (oldest first), not both');
  const text = filter.text;
  if (text !== undefined && (text.length === 0 || text.length > MAX_AUDIT_TEXT)) throw bad(`text must be 1 to ${MAX_AUDIT_TEXT} characters`);
  const newestFirst = filter.after === undefined;
  const empty = page([], null, newestFirst, text === undefined ? null : 0, false);
  if (filter.since && filter.until && filter.since >= filter.until) return empty;

  const bounds = await searchBounds(db, filter);
  if (matchesNothing(filter, bounds)) return empty;
  const where = filterWhere(filter, bounds);
  if (text === undefined) {
    const rows = await db.selectFrom('audit_events').selectAll().where(where).orderBy('seq', newestFirst ? 'desc' : 'asc').limit(limit + 1).execute();
    const events = rows.slice(0, limit).map(fromAuditEventRow);
    return page(events, rows.length > limit ? events.at(-1)!.seq : null, newestFirst, null, false);
  }
  const scan = await textScan(db, { ...filter, text, newestFirst }, bounds, where, options.textScan ?? TEXT_SCAN_LIMITS);
  return page(scan.rows.map(fromAuditEventRow), scan.next, newestFirst, scan.scanned, scan.partial);
}

function page(events: AuditRecord[], next: bigint | null, newestFirst: boolean, scanned: number | null, partial: boolean): AuditPage {
  return { events, nextBefore: newestFirst ? next : null, nextAfter: newestFirst ? null : next, scanned, partial };
}

const bad = (message: string) => badRequest('ERR_BAD_REQUEST', message);

