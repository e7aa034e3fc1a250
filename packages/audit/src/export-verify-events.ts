import { createHash } from 'node:crypto';
import { hashRecord } from './canonical.ts';
import type { ExportContents } from './export-contents.ts';
import { eventRows } from './export-event-rows.ts';
import type { ExportManifest } from './export-manifest.ts';
import type { ExportProblem } from './export-problems.ts';

export interface EventsCheck {
  /** The first problem in the records, if any. */
  problem?: ExportProblem;
  /** Of the bytes read: the whole file when there was no problem. */
  size: number;
  sha256: string;
}

/**
 * Walks the events file once, in order: every record parses, carries the next seq, hashes
 * to its own `hash` and links to the record before it (the first one to the manifest's
 * firstPrevHash); the run ends at the manifest's lastSeq with its lastHash. Hashes the
 * file's bytes on the way, so the caller compares them with the manifest without a second read.
 */
export async function checkEvents(contents: ExportContents, manifest: ExportManifest): Promise<EventsCheck> {
  const format = manifest.filter.format;
  const name = manifest.files[0]!.name;
  const hash = createHash('sha256');
  let size = 0;
  const tapped = async function* () {
    for await (const chunk of contents.chunks(name)) {
      hash.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  };
  const done = (problem?: ExportProblem): EventsCheck => ({ ...(problem && { problem }), size, sha256: hash.digest('hex') });
  const at = (line: number, text: string) => `${name} line ${line}: ${text}`;
  const problem = (code: ExportProblem['code'], line: number, seq: bigint | undefined, text: string): EventsCheck =>
    done({ code, message: at(line, text), file: name, line, ...(seq !== undefined && { seq }) });

  const lastSeq = manifest.lastSeq === null ? null : BigInt(manifest.lastSeq);
  let expected = manifest.firstSeq === null ? null : BigInt(manifest.firstSeq);
  let previous: { seq: bigint; hash: string; line: number } | null = null;
  let lastLine = format === 'csv' ? 1 : 0;
  let count = 0;

  for await (const row of eventRows(tapped(), format)) {
    const { line, record } = row;
    lastLine = line;
    if (typeof record === 'string') return problem('ERR_EXPORT_RECORD_MALFORMED', line, undefined, `not a record: ${record}`);
    const seq = record.seq;
    if (expected === null || lastSeq === null || expected > lastSeq) {
      const end = lastSeq === null ? 'lists no records' : `ends at seq ${lastSeq}`;
      return problem('ERR_EXPORT_RECORD_EXTRA', line, seq, `record seq ${seq} is not in the export: the signed manifest ${end}`);
    }
    if (seq > expected) {
      const later = await findLine(contents, manifest, expected, line);
      return later === undefined
        ? problem('ERR_EXPORT_RECORD_MISSING', line, expected, `record seq ${expected} is missing (line ${line} holds seq ${seq})`)
        : problem('ERR_EXPORT_RECORD_ORDER', line, expected, `the records are out of order: record seq ${expected} belongs here, but it is on line ${later} (line ${line} holds seq ${seq})`);
    }
    if (seq < expected) {
      const first = await findLine(contents, manifest, seq, 0);
      return problem('ERR_EXPORT_RECORD_DUPLICATE', line, seq, `record seq ${seq} appears again (first on line ${first ?? '?'}); record seq ${expected} belongs here`);
    }
    if (hashRecord(record) !== record.hash) return problem('ERR_EXPORT_RECORD_ALTERED', line, seq, `record seq ${seq} was altered (its hash does not match its contents)`);
    if (previous === null && record.prevHash !== manifest.firstPrevHash) {
      return problem('ERR_EXPORT_CHAIN_BROKEN', line, seq, `record seq ${seq} was altered and its hash recomputed, or replaced (its prevHash is not the firstPrevHash in the signed manifest)`);
    }
    if (previous !== null && record.prevHash !== previous.hash) {
      const text = `record seq ${previous.seq} was altered and its hash recomputed (record seq ${seq} on line ${line} links to a different hash)`;
      return problem('ERR_EXPORT_CHAIN_BROKEN', previous.line, previous.seq, text);
    }
    previous = { seq, hash: record.hash, line };
    expected += 1n;
    count += 1;
  }

  if (expected !== null && lastSeq !== null && expected <= lastSeq) {
    const after = previous ? ` after seq ${previous.seq}` : '';
    return problem('ERR_EXPORT_RECORD_MISSING', lastLine + 1, expected, `record seq ${expected} is missing (the file ends${after}; the signed manifest lists records up to seq ${lastSeq})`);
  }
  if (previous !== null && previous.hash !== manifest.lastHash) {
    return problem('ERR_EXPORT_CHAIN_BROKEN', previous.line, previous.seq, `record seq ${previous.seq}, the last, was altered and its hash recomputed (its hash is not the lastHash in the signed manifest)`);
  }
  if (count !== manifest.count) {
    return done({ code: 'ERR_EXPORT_COUNT_MISMATCH', message: `${name} holds ${count} records; the signed manifest says ${manifest.count}`, file: name });
  }
  return done();
}

/** The first line after `afterLine` that holds the record `seq`: only read again to name a problem. */
async function findLine(contents: ExportContents, manifest: ExportManifest, seq: bigint, afterLine: number): Promise<number | undefined> {
  for await (const { line, record } of eventRows(contents.chunks(manifest.files[0]!.name), manifest.filter.format)) {
    if (line > afterLine && typeof record !== 'string' && record.seq === seq) return line;
  }
  return undefined;
}
