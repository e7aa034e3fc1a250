import { canonicalJson } from './canonical.ts';
import { csvRow } from './csv.ts';
import type { AuditActor, AuditEventType, AuditRecord } from './event-types.ts';

/**
 * How one audit record is written in an export, and read back exactly enough to recompute
 * its hash. seq is a decimal string and time an ISO 8601 string with milliseconds: both are
 * how the canonical JSON that `hashRecord` hashes spells them.
 */

export type ExportFormat = 'jsonl' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['jsonl', 'csv'];
export const EVENTS_FILE: Readonly<Record<ExportFormat, string>> = { jsonl: 'events.jsonl', csv: 'events.csv' };
export const CSV_COLUMNS = ['seq', 'id', 'time', 'type', 'code', 'actor', 'remote', 'details', 'prev_hash', 'hash'] as const;
export const CSV_HEADER = csvRow(CSV_COLUMNS);

/** One line of events.jsonl, newline included: the fields in a fixed order, actor and details in canonical JSON. */
export function jsonLine(record: AuditRecord): string {
  const s = JSON.stringify;
  return (
    `{"seq":${s(record.seq.toString())},"id":${s(record.id)},"time":${s(record.time.toISOString())},"type":${s(record.type)},` +
    `"code":${s(record.code)},"actor":${canonicalJson(record.actor)},"remote":${s(record.remote)},` +
    `"details":${canonicalJson(record.details)},"prevHash":${s(record.prevHash)},"hash":${s(record.hash)}}\n`
  );
}

/** One row of events.csv, in CSV_COLUMNS order; a null remote is an empty unquoted field. */
export function csvLine(record: AuditRecord): string {
  return csvRow([
    record.seq.toString(),
    record.id,
    record.time.toISOString(),
    record.type,
    record.code,
    canonicalJson(record.actor),
    record.remote,
    canonicalJson(record.details),
    record.prevHash,
    record.hash,
  ]);
}

/** The fields of one record as they were read, before their types are checked. */
export interface RawRecord {
  seq: unknown;
  id: unknown;
  time: unknown;
  type: unknown;
  code: unknown;
  actor: unknown;
  remote: unknown;
  details: unknown;
  prevHash: unknown;
  hash: unknown;
}

/** A record from a parsed events.jsonl line, or why the line is not one. */
export function recordFromJsonLine(text: string): AuditRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text.trim() === '' ? 'the line is empty' : 'the line is not JSON';
  }
  if (!isObject(value)) return 'the line is not a JSON object';
  return recordFromRaw(value as unknown as RawRecord);
}

/** A record from an events.csv row (CSV_COLUMNS order), or why the row is not one. */
export function recordFromCsvFields(fields: readonly (string | null)[]): AuditRecord | string {
  if (fields.length !== CSV_COLUMNS.length) return `the row has ${fields.length} columns, not ${CSV_COLUMNS.length}`;
  const [seq, id, time, type, code, actor, remote, details, prevHash, hash] = fields;
  const parse = (text: string | null | undefined): { value: unknown } | undefined => {
    try {
      return { value: JSON.parse(text ?? '') };
    } catch {
      return undefined;
    }
  };
  const actorValue = parse(actor);
  if (!actorValue) return 'actor is not JSON';
  const detailsValue = parse(details);
  if (!detailsValue) return 'details is not JSON';
  return recordFromRaw({ seq, id, time, type, code, actor: actorValue.value, remote, details: detailsValue.value, prevHash, hash });
}

const SEQ = /^[1-9][0-9]{0,18}$/;
const HASH = /^[0-9a-f]{64}$/;

function recordFromRaw(raw: RawRecord): AuditRecord | string {
  if (typeof raw.seq !== 'string' || !SEQ.test(raw.seq)) return 'seq is not a positive decimal string';
  for (const name of ['id', 'type', 'code'] as const) if (typeof raw[name] !== 'string') return `${name} is not a string`;
  if (typeof raw.time !== 'string') return 'time is not a string';
  const time = new Date(raw.time);
  // Only the one spelling toISOString gives: any other would hash differently from what was signed.
  if (Number.isNaN(time.getTime()) || time.toISOString() !== raw.time) return 'time is not an ISO 8601 time as toISOString writes it';
  if (!isObject(raw.actor)) return 'actor is not a JSON object';
  if (!isObject(raw.details)) return 'details is not a JSON object';
  if (raw.remote !== null && typeof raw.remote !== 'string') return 'remote is neither a string nor null';
  if (typeof raw.prevHash !== 'string' || !HASH.test(raw.prevHash)) return 'prevHash is not 64 hex digits';
  if (typeof raw.hash !== 'string' || !HASH.test(raw.hash)) return 'hash is not 64 hex digits';
  return {
    seq: BigInt(raw.seq),
    id: raw.id as string,
    time,
    type: raw.type as AuditEventType,
    code: raw.code as string,
    actor: raw.actor as unknown as AuditActor,
    remote: raw.remote,
    details: raw.details,
    prevHash: raw.prevHash,
    hash: raw.hash,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
