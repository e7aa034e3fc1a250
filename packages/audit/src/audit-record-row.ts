import type { AuditEventRow, Database } from '@access/db';
import type { Insertable } from 'kysely';
import { canonicalJson } from './canonical.ts';
import type { AuditActor, AuditEventType, AuditRecord } from './event-types.ts';

/** The jsonb columns take their canonical JSON text, so what is stored is what was hashed. */
export function toAuditEventRow(record: AuditRecord): Insertable<Database['audit_events']> {
  return {
    seq: record.seq,
    id: record.id,
    time: record.time,
    type: record.type,
    code: record.code,
    actor: canonicalJson(record.actor),
    remote: record.remote,
    details: canonicalJson(record.details),
    prev_hash: record.prevHash,
    hash: record.hash,
  };
}

/** The same row as one element of the JSON array `jsonb_populate_recordset` reads (the one-statement append): text forms, and jsonb as JSON. */
export function toAuditEventJson(record: AuditRecord): Record<string, unknown> {
  return {
    seq: String(record.seq),
    id: record.id,
    time: record.time.toISOString(),
    type: record.type,
    code: record.code,
    actor: record.actor,
    remote: record.remote,
    details: record.details,
    prev_hash: record.prevHash,
    hash: record.hash,
  };
}

/**
 * Types are taken on trust: a row written by a newer version may carry a type this one does
 * not list, and is still returned (and still verifies) as it was written.
 */
export function fromAuditEventRow(row: AuditEventRow): AuditRecord {
  return {
    seq: row.seq,
    id: row.id,
    time: row.time,
    type: row.type as AuditEventType,
    code: row.code,
    actor: row.actor as unknown as AuditActor,
    remote: row.remote,
    details: row.details,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
