import { randomUUID } from 'node:crypto';
import { GENESIS_HASH, hashRecord } from '../canonical.ts';
import type { AuditEventInput, AuditRecord } from '../event-types.ts';
import { AUDIT_EVENT_CODES } from '../event-types.ts';
import type { ExportEvents } from '../export-events.ts';
import { bufferSource, readTarIndex } from '../tar-reader.ts';
import { tarFile, tarTrailer } from '../tar-writer.ts';

/** A chain of records made in memory (seq from `firstSeq`, linked, hashed) from these events. */
export function chainOf(events: readonly AuditEventInput[], options: { firstSeq?: bigint; prevHash?: string; start?: Date } = {}): AuditRecord[] {
  const records: AuditRecord[] = [];
  let seq = options.firstSeq ?? 1n;
  let prevHash = options.prevHash ?? GENESIS_HASH;
  const start = options.start?.getTime() ?? Date.parse('2030-01-01T00:00:00Z');
  for (const event of events) {
    const unhashed = {
      seq,
      id: randomUUID(),
      time: new Date(start + Number(seq) * 1000),
      type: event.type,
      code: AUDIT_EVENT_CODES[event.type],
      actor: event.actor,
      remote: event.remote ?? null,
      details: event.details,
      prevHash,
    };
    const record = { ...unhashed, hash: hashRecord(unhashed) };
    records.push(record);
    prevHash = record.hash;
    seq += 1n;
  }
  return records;
}

/** Events whose text a CSV or JSON writer could get wrong: quotes, commas, newlines, empty and null. */
export function awkwardEvent(n: number): AuditEventInput {
  const remotes = ['192.0.2.10', null, '', 'a "quoted", comma\nand newline\r\n', '  spaced  ', '=cmd|\' /C calc\'!A0'];
  return {
    type: n % 3 === 0 ? 'auth.denied' : 'cert.issued',
    actor: { kind: 'user', id: `user-${n}`, name: `Jöhn "J" O'Neil, #${n}` },
    remote: remotes[n % remotes.length] ?? null,
    details: { serial: String(n), note: `line one\nline two, "quoted" ✓ ${n}`, nested: { list: [1, 2.5, null, true], empty: '' } },
  };
}

/** ExportEvents over records in memory, the head at the last record unless given. */
export function memoryEvents(records: readonly AuditRecord[], head?: { seq: bigint; hash: string }, pageSize = 4): ExportEvents {
  const last = records[records.length - 1];
  return {
    firstSeq: records[0]?.seq ?? null,
    lastSeq: last?.seq ?? null,
    count: records.length,
    headSeq: head?.seq ?? last?.seq ?? 0n,
    headHash: head?.hash ?? last?.hash ?? GENESIS_HASH,
    async *pages() {
      for (let i = 0; i < records.length; i += pageSize) yield records.slice(i, i + pageSize);
    },
  };
}

/** Every piece of an async generator of buffers, joined. */
export async function collect(pieces: AsyncIterable<Buffer>): Promise<Buffer> {
  const all: Buffer[] = [];
  for await (const piece of pieces) all.push(piece);
  return Buffer.concat(all);
}

/** The archive's files by name, in order. */
export async function untar(bytes: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readTarIndex(bufferSource(bytes))) files.set(entry.name, bytes.subarray(entry.offset, entry.offset + entry.size));
  return files;
}

/** The archive again, after `edit` changed its files (a tamperer with a tar tool). */
export async function retar(bytes: Buffer, edit: (files: Map<string, Buffer>) => void): Promise<Buffer> {
  const files = await untar(bytes);
  edit(files);
  const mtime = new Date('2030-01-01T00:00:00Z');
  return Buffer.concat([...[...files].map(([name, content]) => tarFile(name, content, mtime)), tarTrailer()]);
}

/** Edits the text of one file. */
export function editText(files: Map<string, Buffer>, name: string, edit: (text: string) => string): void {
  const content = files.get(name);
  if (!content) throw new Error(`no ${name} in the archive`);
  files.set(name, Buffer.from(edit(content.toString('utf8')), 'utf8'));
}
