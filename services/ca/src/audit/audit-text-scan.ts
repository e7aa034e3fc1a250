import type { AuditEventRow, Database, Db } from '@access/db';
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { textMatch, textNeedle, type SearchBounds } from './audit-search-where.ts';

/**
 * Text search without an index (pg_trgm is not there on the embedded database): one page reads
 * the events that match the other filters, in page order, and keeps those holding the text.
 * What one page reads is bounded twice, so it costs about the same whatever the filters are:
 *  - `rows`: at most this many events that match the other filters;
 *  - `span`: only events within this many seqs of where the page starts, so that a filter
 *    PostgreSQL serves by walking the log (and skipping most of it) still reads little.
 * When a bound stops the page early it says so (`partial`) and its cursor goes on from there.
 */
export interface TextScanLimits {
  rows: number;
  span: number;
}

/** Measured on PostgreSQL with 1,000,000 events to keep a page well inside 200 ms (bench/audit.ts). */
export const TEXT_SCAN_LIMITS: TextScanLimits = { rows: 10_000, span: 50_000 };

export interface TextScanResult {
  rows: AuditEventRow[];
  next: bigint | null;
  scanned: number;
  partial: boolean;
}

type Where = (eb: ExpressionBuilder<Database, 'audit_events'>) => Expression<SqlBool>;

export async function textScan(
  db: Db,
  search: { text: string; limit: number; newestFirst: boolean; before?: bigint | undefined; after?: bigint | undefined },
  bounds: SearchBounds,
  where: Where,
  limits: TextScanLimits,
): Promise<TextScanResult> {
  const { limit, newestFirst } = search;
  const span = BigInt(limits.span);
  // The page starts after `start` (exclusive) and may read up to `edge` (inclusive).
  let reachesEnd: boolean;
  let edge: bigint;
  if (newestFirst) {
    const start = min(search.before ?? bounds.head + 1n, bounds.below ?? bounds.head + 1n, bounds.head + 1n);
    edge = start - span;
    reachesEnd = edge <= (bounds.above ?? 0n) + 1n;
  } else {
    const start = max(search.after ?? 0n, bounds.above ?? 0n);
    edge = start + span;
    reachesEnd = edge >= min(bounds.below ?? bounds.head + 1n, bounds.head + 1n) - 1n;
  }
  const direction = newestFirst ? 'desc' : 'asc';
  const order = sql.raw(direction);
  // Numbered in page order, at most `rows`; the last row read is kept whether it matches or not.
  const scan = db
    .selectFrom('audit_events')
    .selectAll()
    .select([
      sql<bigint>`row_number() over (order by seq ${order})`.as('scan_n'),
      sql<boolean>`lead(seq) over (order by seq ${order}) is null`.as('scan_end'),
      textMatch(textNeedle(search.text)).as('hit'),
    ])
    .where(where)
    .$if(!reachesEnd, (q) => q.where('seq', newestFirst ? '>=' : '<=', edge))
    .orderBy('seq', direction)
    .limit(limits.rows);
  const rows = await db
    .selectFrom(scan.as('scan'))
    .selectAll()
    .where((eb) => eb.or([eb.ref('hit'), eb.ref('scan_end'), eb('scan_n', '=', BigInt(limits.rows))]))
    .orderBy('seq', direction)
    .limit(limit + 2)
    .execute();

  const hits = rows.filter((r) => r.hit);
  if (hits.length > limit) {
    const last = hits[limit - 1]!;
    return { rows: hits.slice(0, limit), next: last.seq, scanned: Number(last.scan_n), partial: false };
  }
  const stop = rows.find((r) => r.scan_end || r.scan_n === BigInt(limits.rows));
  if (stop && !stop.scan_end) return { rows: hits, next: stop.seq, scanned: limits.rows, partial: true };
  // Every event of the span was read: the page ends with the span, or with the log.
  const scanned = Number(stop?.scan_n ?? 0);
  return reachesEnd ? { rows: hits, next: null, scanned, partial: false } : { rows: hits, next: edge, scanned, partial: true };
}

const min = (...values: bigint[]): bigint => values.reduce((a, b) => (b < a ? b : a));
const max = (...values: bigint[]): bigint => values.reduce((a, b) => (b > a ? b : a));
