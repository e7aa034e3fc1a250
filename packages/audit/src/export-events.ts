import type { Db } from '@access/db';
import { AuditStoreError } from './audit-errors.ts';
import { fromAuditEventRow } from './audit-record-row.ts';
import type { AuditRecord } from './event-types.ts';

/** The records an export holds, fixed when it begins; read page by page, as often as needed. */
export interface ExportEvents {
  /** The first and last seq of the run, null when no event falls in the range. */
  readonly firstSeq: bigint | null;
  readonly lastSeq: bigint | null;
  /** lastSeq − firstSeq + 1: how many records the run should hold. */
  readonly count: number;
  /** audit_head when the range was fixed. */
  readonly headSeq: bigint;
  readonly headHash: string;
  /** The records in seq order. The bundle reads them twice (to measure, then to send): both reads must give the same. */
  pages(): AsyncIterable<readonly AuditRecord[]>;
}

export interface ExportRange {
  /** Events at or after. */
  since?: Date | null | undefined;
  /** Events before. */
  until?: Date | null | undefined;
}

export const EXPORT_PAGE_SIZE = 1000;

/**
 * The contiguous run of the chain from the first event at or after `since` to the last one
 * before `until`, up to the head as it is now: a verifier can only check an unbroken run.
 * Events appended later, the export's own `audit.exported` among them, are after the head
 * and not in it. With several CA instances whose clocks disagree a little, a record inside
 * the run may carry a time just outside the range; it is kept, or the run would break.
 */
export async function selectExportEvents(db: Db, range: ExportRange, pageSize = EXPORT_PAGE_SIZE): Promise<ExportEvents> {
  const head = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
  if (!head) throw new AuditStoreError('audit_head has no row: the audit tables were not migrated');
  const headSeq = BigInt(head.seq);

  let first = db.selectFrom('audit_events').select((eb) => eb.fn.min('seq').as('seq')).where('seq', '<=', headSeq);
  if (range.since) first = first.where('time', '>=', range.since);
  let last = db.selectFrom('audit_events').select((eb) => eb.fn.max('seq').as('seq')).where('seq', '<=', headSeq);
  if (range.until) last = last.where('time', '<', range.until);
  const [low, high] = await Promise.all([first.executeTakeFirst(), last.executeTakeFirst()]);
  const firstSeq = low?.seq == null ? null : BigInt(low.seq);
  const lastSeq = high?.seq == null ? null : BigInt(high.seq);
  const empty = firstSeq === null || lastSeq === null || firstSeq > lastSeq;

  return {
    firstSeq: empty ? null : firstSeq,
    lastSeq: empty ? null : lastSeq,
    count: empty ? 0 : Number(lastSeq - firstSeq + 1n),
    headSeq,
    headHash: head.hash,
    async *pages() {
      if (empty) return;
      let next = firstSeq;
      while (next <= lastSeq) {
        const rows = await db
          .selectFrom('audit_events')
          .selectAll()
          .where('seq', '>=', next)
          .where('seq', '<=', lastSeq)
          .orderBy('seq')
          .limit(pageSize)
          .execute();
        if (rows.length === 0) return;
        const records = rows.map(fromAuditEventRow);
        yield records;
        next = records[records.length - 1]!.seq + 1n;
      }
    },
  };
}
