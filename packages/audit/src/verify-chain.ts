import type { Db } from '@access/db';
import { AuditStoreError } from './audit-errors.ts';
import { fromAuditEventRow } from './audit-record-row.ts';
import { GENESIS_HASH, hashRecord } from './canonical.ts';
import type { AuditRecord } from './event-types.ts';

export interface ChainVerification {
  ok: boolean;
  /** Records that passed every check before the first problem (all of them when ok). */
  checked: number;
  headSeq: bigint;
  headHash: string;
  problem?: ChainProblem;
}

export interface ChainProblem {
  seq: bigint;
  reason: 'hash-mismatch' | 'broken-link' | 'missing-record' | 'head-mismatch';
  message: string;
}

export interface VerifyChainOptions {
  /** Rows read per query; memory use stays at about one page whatever the chain's length. */
  pageSize?: number;
}

/**
 * Checks the chain up to the head as it was when the walk began: events appended while it
 * runs come after that head and are left for the next run. Each record must carry the next
 * seq (from 1), link to its predecessor's hash and hash to its own content; the last one
 * must be what audit_head names.
 */
export async function verifyChain(db: Db, options: VerifyChainOptions = {}): Promise<ChainVerification> {
  const pageSize = options.pageSize ?? 1000;
  const head = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
  if (!head) throw new AuditStoreError('audit_head has no row: the audit tables were not migrated');
  let checked = 0;
  const report = (problem?: ChainProblem): ChainVerification => ({
    ok: problem === undefined,
    checked,
    headSeq: head.seq,
    headHash: head.hash,
    ...(problem && { problem }),
  });

  let expectedSeq = 1n;
  let prevHash = GENESIS_HASH;
  while (expectedSeq <= head.seq) {
    const rows = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '>=', expectedSeq)
      .where('seq', '<=', head.seq)
      .orderBy('seq')
      .limit(pageSize)
      .execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      const record = fromAuditEventRow(row);
      const problem = checkRecord(record, expectedSeq, prevHash);
      if (problem) return report(problem);
      checked += 1;
      expectedSeq += 1n;
      prevHash = record.hash;
    }
  }

  const lastSeq = expectedSeq - 1n;
  if (lastSeq !== head.seq) {
    return report({
      seq: head.seq,
      reason: 'head-mismatch',
      message: `audit_head is at seq ${head.seq} but the chain ends at seq ${lastSeq}: records at the end are missing`,
    });
  }
  if (prevHash !== head.hash) {
    return report({
      seq: head.seq,
      reason: 'head-mismatch',
      message: `audit_head hash ${short(head.hash)} is not the hash ${short(prevHash)} of record ${lastSeq}`,
    });
  }
  return report();
}

function checkRecord(record: AuditRecord, expectedSeq: bigint, prevHash: string): ChainProblem | undefined {
  if (record.seq !== expectedSeq) {
    return { seq: expectedSeq, reason: 'missing-record', message: `record ${expectedSeq} is missing (the next one is ${record.seq})` };
  }
  if (record.prevHash !== prevHash) {
    return {
      seq: record.seq,
      reason: 'broken-link',
      message: `record ${record.seq} links to ${short(record.prevHash)}, but the record before it hashes to ${short(prevHash)}`,
    };
  }
  const actual = hashRecord(record);
  if (actual !== record.hash) {
    return {
      seq: record.seq,
      reason: 'hash-mismatch',
      message: `record ${record.seq} has changed: its content hashes to ${short(actual)}, not the stored ${short(record.hash)}`,
    };
  }
  return undefined;
}

function short(hash: string): string {
  return hash.length > 12 ? `${hash.slice(0, 12)}…` : hash;
}
