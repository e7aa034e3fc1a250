import { createHash } from 'node:crypto';
import { fingerprint, signSshSig, type CaSigner } from '@access/sshcert';
import { AuditExportError } from './export-errors.ts';
import type { ExportEvents } from './export-events.ts';
import { EXPORT_FORMAT_VERSION, EXPORT_NAMESPACE, MANIFEST_FILE, SIGNATURE_FILE, manifestText, type ExportManifest, type ManifestFile } from './export-manifest.ts';
import { CSV_HEADER, EVENTS_FILE, csvLine, jsonLine, type ExportFormat } from './export-records.ts';
import { tarFile, tarHeader, tarPadding, tarTrailer } from './tar-writer.ts';

export interface ExportFilter {
  since: Date | null;
  until: Date | null;
  format: ExportFormat;
  /** Whether the recordings of sessions started in the range are included. */
  sessions: boolean;
}

/** A file besides the events (a session's recording or metadata). */
export interface ExportFile {
  /** Its path in the archive, e.g. `sessions/ses_….cast`. */
  name: string;
  /**
   * Called twice, to measure and then to send; both runs must give the same pieces. A
   * second run may give more (a live recording grows): only as many pieces as the first
   * run gave are sent.
   */
  content(): AsyncIterable<string | Uint8Array>;
}

export interface ExportBundleInput {
  events: ExportEvents;
  filter: ExportFilter;
  /** The session files, listed once, in archive order. */
  files?: (() => AsyncIterable<ExportFile>) | undefined;
  /** The user CA: it signs manifest.json. Its private key stays in the signer. */
  signer: CaSigner;
  now: Date;
}

/**
 * The export as one uncompressed ustar archive, produced piece by piece: the events file,
 * the session files, then manifest.json and manifest.json.sig, last because they hash
 * everything before them. A tar header states its file's size up front, so each file is
 * read twice: once to measure (size, sha256), once to send, and the two must agree. Memory
 * stays at about one page of records whatever the export's length.
 */
export async function* exportBundle(input: ExportBundleInput): AsyncGenerator<Buffer> {
  const { filter, now } = input;
  const files: ManifestFile[] = [];
  const stats: EventStats = { count: 0, first: null, last: null };
  const eventsName = EVENTS_FILE[filter.format];
  const events = { name: eventsName, content: () => eventsContent(input.events, filter.format, stats) };
  files.push(yield* sendFile(events, await measure(events), now));

  const taken = new Set([eventsName, MANIFEST_FILE, SIGNATURE_FILE]);
  for await (const file of input.files?.() ?? []) {
    if (taken.has(file.name)) throw new AuditExportError(`two files in the export are named ${file.name}`);
    taken.add(file.name);
    files.push(yield* sendFile(file, await measure(file), now));
  }

  const manifest: ExportManifest = {
    format: 'access-audit-export',
    formatVersion: EXPORT_FORMAT_VERSION,
    createdAt: now.toISOString(),
    caFingerprint: fingerprint(input.signer.publicKey.blob),
    filter: { since: filter.since?.toISOString() ?? null, until: filter.until?.toISOString() ?? null, format: filter.format, sessions: filter.sessions },
    count: stats.count,
    firstSeq: stats.first?.seq.toString() ?? null,
    lastSeq: stats.last?.seq.toString() ?? null,
    firstPrevHash: stats.first?.prevHash ?? null,
    lastHash: stats.last?.hash ?? null,
    headSeq: input.events.headSeq.toString(),
    headHash: input.events.headHash,
    files,
  };
  const text = Buffer.from(manifestText(manifest), 'utf8');
  yield tarFile(MANIFEST_FILE, text, now);
  yield tarFile(SIGNATURE_FILE, Buffer.from(signSshSig(input.signer, text, EXPORT_NAMESPACE), 'utf8'), now);
  yield tarTrailer();
}

/** `access-audit-20300101T000000Z-20300201T000000Z.tar`; `start` when there is no since. */
export function exportFileName(filter: Pick<ExportFilter, 'since' | 'until'>, now: Date): string {
  const stamp = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  return `access-audit-${filter.since ? stamp(filter.since) : 'start'}-${stamp(filter.until ?? now)}.tar`;
}

interface EventStats {
  count: number;
  first: { seq: bigint; prevHash: string } | null;
  last: { seq: bigint; hash: string } | null;
}

/** The events file a page at a time, noting in `stats` what it wrote (both runs do; the sha256 check makes them agree). */
async function* eventsContent(events: ExportEvents, format: ExportFormat, stats: EventStats): AsyncGenerator<string> {
  Object.assign(stats, { count: 0, first: null, last: null });
  if (format === 'csv') yield CSV_HEADER;
  const line = format === 'csv' ? csvLine : jsonLine;
  for await (const page of events.pages()) {
    if (page.length === 0) continue;
    stats.first ??= { seq: page[0]!.seq, prevHash: page[0]!.prevHash };
    stats.last = { seq: page[page.length - 1]!.seq, hash: page[page.length - 1]!.hash };
    stats.count += page.length;
    yield page.map(line).join('');
  }
}

interface Measured {
  size: number;
  sha256: string;
  pieces: number;
}

async function measure(file: ExportFile): Promise<Measured> {
  const hash = createHash('sha256');
  let size = 0;
  let pieces = 0;
  for await (const piece of file.content()) {
    const bytes = toBuffer(piece);
    hash.update(bytes);
    size += bytes.length;
    pieces += 1;
  }
  return { size, sha256: hash.digest('hex'), pieces };
}

async function* sendFile(file: ExportFile, measured: Measured, mtime: Date): AsyncGenerator<Buffer, ManifestFile> {
  yield tarHeader({ name: file.name, size: measured.size, mtime });
  const changed = () => new AuditExportError(`${file.name} changed while it was being exported; export again`);
  const hash = createHash('sha256');
  let size = 0;
  let pieces = 0;
  if (measured.pieces > 0) {
    for await (const piece of file.content()) {
      const bytes = toBuffer(piece);
      // Never send more than the header announced: the archive would be unreadable from here on.
      if (size + bytes.length > measured.size) throw changed();
      hash.update(bytes);
      size += bytes.length;
      yield bytes;
      if (++pieces === measured.pieces) break;
    }
  }
  if (size !== measured.size || hash.digest('hex') !== measured.sha256) throw changed();
  yield tarPadding(size);
  return { name: file.name, size, sha256: measured.sha256 };
}

function toBuffer(piece: string | Uint8Array): Buffer {
  return typeof piece === 'string' ? Buffer.from(piece, 'utf8') : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
}
