import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditLog } from '@access/audit';
import type { Db } from '@access/db';
import { openRecordSpool } from '../record-spool.ts';
import { createRecordWriter, type RecordWriter, type RecordWriterDeps } from '../record-writer.ts';

/** A record writer for unit tests: its spool in a fresh temporary directory, under an id of its own (batch ids must never repeat). */
export function testRecordWriter(db: Db, audit: AuditLog, options: Partial<RecordWriterDeps> & { spoolDir?: string; maxSpoolBytes?: number } = {}): RecordWriter & { spoolDir: string } {
  const spoolDir = options.spoolDir ?? join(mkdtempSync(join(tmpdir(), 'access-spool-')), 'spool');
  const writer = createRecordWriter({
    db,
    audit,
    spool: openRecordSpool({ dir: spoolDir, id: `gw_test${randomBytes(6).toString('hex')}`, pid: process.pid, maxBytes: options.maxSpoolBytes ?? 1 << 20 }),
    clock: () => new Date(),
    log: () => undefined,
    retryMs: 50,
    writeTimeoutMs: 5000,
    ...options,
  });
  return Object.assign(writer, { spoolDir });
}
