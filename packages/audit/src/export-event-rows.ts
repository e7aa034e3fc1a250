import { CsvReader, CsvSyntaxError } from './csv.ts';
import type { AuditRecord } from './event-types.ts';
import { CSV_COLUMNS, recordFromCsvFields, recordFromJsonLine, type ExportFormat } from './export-records.ts';

export interface EventRow {
  /** The line the record starts on, from 1 (in CSV the header is line 1). */
  line: number;
  /** The record, or why the line is not one; rows end after the first that is not. */
  record: AuditRecord | string;
}

const MAX_LINE = 8 * 1024 * 1024;

/** The records of an events file read in chunks, one line (row) at a time. */
export function eventRows(chunks: AsyncIterable<Buffer>, format: ExportFormat): AsyncGenerator<EventRow> {
  return format === 'csv' ? csvRows(chunks) : jsonRows(chunks);
}

async function* jsonRows(chunks: AsyncIterable<Buffer>): AsyncGenerator<EventRow> {
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let line = 0;
  let rest = Buffer.alloc(0);
  const row = (bytes: Buffer): EventRow => {
    line += 1;
    try {
      return { line, record: recordFromJsonLine(utf8.decode(bytes)) };
    } catch {
      return { line, record: 'the line is not valid UTF-8' };
    }
  };
  for await (const chunk of chunks) {
    let data = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    for (let end = data.indexOf(0x0a); end >= 0; end = data.indexOf(0x0a)) {
      const next = row(data.subarray(0, end));
      yield next;
      if (typeof next.record === 'string') return;
      data = data.subarray(end + 1);
    }
    if (data.length > MAX_LINE) {
      yield { line: line + 1, record: `the line is longer than ${MAX_LINE} bytes` };
      return;
    }
    rest = Buffer.from(data);
  }
  // A last line without its newline is still read; the file's sha256 tells the bytes differ.
  if (rest.length > 0) yield row(rest);
}

async function* csvRows(chunks: AsyncIterable<Buffer>): AsyncGenerator<EventRow> {
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const reader = new CsvReader();
  let header = true;
  const convert = function* (rows: ReturnType<CsvReader['push']>): Generator<EventRow> {
    for (const { line, fields } of rows) {
      if (header) {
        header = false;
        if (fields.join(',') !== CSV_COLUMNS.join(',')) yield { line, record: `the header is not ${CSV_COLUMNS.join(',')}` };
        continue;
      }
      yield { line, record: recordFromCsvFields(fields) };
    }
  };
  try {
    for await (const chunk of chunks) {
      for (const row of convert(reader.push(utf8.decode(chunk, { stream: true })))) {
        yield row;
        if (typeof row.record === 'string') return;
      }
    }
    for (const row of convert(reader.push(utf8.decode()))) yield row;
    for (const row of convert(reader.end())) yield row;
  } catch (error) {
    if (error instanceof CsvSyntaxError) yield { line: error.line, record: `it is not valid CSV: ${error.message}` };
    else if (error instanceof TypeError) yield { line: reader.line, record: 'it is not valid UTF-8' };
    else throw error;
  }
}
