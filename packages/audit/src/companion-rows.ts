import type { Database } from '@access/db';
import { sql, type RawBuilder, type Transaction } from 'kysely';
import { storableJsonValue } from './storable-text.ts';

/**
 * Rows of one table that commit together with audit events (`AuditLog.appendWithRows`).
 * Each row is JSON as `jsonb_populate_recordset` reads it: a column's value is its text
 * form as a JSON string (bigint as a decimal string, timestamps as ISO 8601), or, for a
 * jsonb column, the JSON value itself (an array, an object). Every row names the same
 * columns, in the same order; the table's other columns take their defaults.
 */
export interface CompanionRows {
  table: keyof Database & string;
  rows: ReadonlyArray<Readonly<Record<string, unknown>>>;
}

/** `insert into <table> (<columns>) select … from <from> jsonb_populate_recordset(…)`; `from` joins the rows to a CTE, or is empty. */
export function companionStatement(companion: CompanionRows, from: RawBuilder<unknown>): RawBuilder<unknown> {
  const columns = sameColumns(companion);
  const table = sql.table(companion.table);
  // Strings PostgreSQL cannot hold (NUL, lone surrogates) would fail the whole statement;
  // they become U+FFFD, as in audit details.
  const json = JSON.stringify(storableJsonValue(companion.rows));
  return sql`insert into ${table} (${sql.join(columns.map((c) => sql.id(c)))})
    select ${sql.join(columns.map((c) => sql.id('r', c)))}
    from ${from} jsonb_populate_recordset(null::${table}, ${json}::jsonb) as r`;
}

/** The same rows inserted on their own, inside the caller's transaction (`appendWithRows` leaves out tables without rows). */
export async function insertCompanionRows(trx: Transaction<Database>, companion: CompanionRows): Promise<void> {
  await companionStatement(companion, sql``).execute(trx);
}

function sameColumns({ table, rows }: CompanionRows): string[] {
  const first = rows[0];
  if (!first) throw new TypeError(`appendWithRows: no rows for ${table}`);
  const columns = Object.keys(first);
  const key = columns.join(',');
  if (columns.length === 0 || rows.some((row) => Object.keys(row).join(',') !== key)) {
    throw new TypeError(`appendWithRows: every row for ${table} must name the same columns, in the same order`);
  }
  return columns;
}
