import { generateCaKey, signSshSig } from '@access/sshcert';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashRecord } from './canonical.ts';
import type { AuditRecord } from './event-types.ts';
import { exportBundle, type ExportFile } from './export-bundle.ts';
import { EXPORT_NAMESPACE } from './export-manifest.ts';
import type { ExportProblem } from './export-problems.ts';
import { CSV_HEADER, EVENTS_FILE, csvLine, jsonLine, type ExportFormat } from './export-records.ts';
import { verifyExport } from './export-verify.ts';
import { bufferSource, readTarIndex } from './tar-reader.ts';
import { awkwardEvent, chainOf, collect, editText, memoryEvents, retar } from './testing/export-fixtures.ts';

const ca = generateCaKey('access user CA').signer;
const NOW = new Date('2030-02-01T00:00:00Z');
const CAST = '{"version":2,"width":80,"height":24}\n[0.5,"o","$ "]\n';
const SESSION_FILES: ExportFile[] = [
  { name: 'sessions/ses_00000000000000000001.json', content: async function* () { yield '{"id":"ses_00000000000000000001"}\n'; } },
  { name: 'sessions/ses_00000000000000000001.cast', content: async function* () { yield CAST.slice(0, 10); yield CAST.slice(10); } },
];

describe.each(['jsonl', 'csv'] as const)('verifying a %s export', (format: ExportFormat) => {
  const events = EVENTS_FILE[format];
  // Records 101…112 of a longer chain: the first links to a record outside the export.
  const records = chainOf(Array.from({ length: 12 }, (_, i) => awkwardEvent(i + 1)), { firstSeq: 101n, prevHash: 'c'.repeat(64) });
  const head = { seq: 140n, hash: 'd'.repeat(64) };
  let original: Buffer;

  const bundle = (signer = ca) =>
    collect(exportBundle({ events: memoryEvents(records, head), filter: { since: null, until: NOW, format, sessions: true }, files: async function* () { yield* SESSION_FILES; }, signer, now: NOW }));
  const write = (list: readonly AuditRecord[]) => (format === 'csv' ? CSV_HEADER : '') + list.map(format === 'csv' ? csvLine : jsonLine).join('');
  /** The line a record starts on, found without the verifier's parser. */
  const lineOf = (text: string, seq: bigint) => {
    const start = format === 'csv' ? text.indexOf(`\n${seq},`) + 1 : text.indexOf(`{"seq":"${seq}"`);
    return text.slice(0, start).split('\n').length;
  };
  /** The export with its events file replaced by these records (the manifest and signature untouched). */
  const withRecords = (list: readonly AuditRecord[]) => retar(original, (files) => files.set(events, Buffer.from(write(list))));
  const problem = async (bytes: Buffer): Promise<ExportProblem> => {
    const result = await verifyExport(bytes, ca.publicKey);
    if (result.ok) throw new Error('the export verified');
    return result.problem;
  };
  const edited = (index: number, rehash: boolean): AuditRecord[] =>
    records.map((r, i) => {
      if (i !== index) return r;
      const changed = { ...r, details: { ...r.details, note: 'nothing happened here' } };
      return rehash ? { ...changed, hash: hashRecord(changed) } : changed;
    });

  beforeAll(async () => {
    original = await bundle();
  });

  it('passes an untouched export and says what it holds', async () => {
    expect(await verifyExport(original, ca.publicKey)).toMatchObject({ ok: true, count: 12, firstSeq: 101n, lastSeq: 112n, headSeq: 140n, sessions: 1, filter: { format, sessions: true } });
    expect(await verifyExport(original, `${ca.publicKey.type} ${ca.publicKey.blob.toString('base64')}`)).toMatchObject({ ok: true });
  });

  it('names the line and record whose detail was edited', async () => {
    const text = write(records);
    expect(await problem(await withRecords(edited(4, false)))).toEqual({
      code: 'ERR_EXPORT_RECORD_ALTERED', file: events, line: lineOf(text, 105n), seq: 105n,
      message: `${events} line ${lineOf(text, 105n)}: record seq 105 was altered (its hash does not match its contents)`,
    });
  });

  it('names the edited record even when its hash was recomputed, through the next record’s link', async () => {
    const text = write(records);
    const found = await problem(await withRecords(edited(4, true)));
    expect(found).toMatchObject({ code: 'ERR_EXPORT_CHAIN_BROKEN', line: lineOf(text, 105n), seq: 105n });
    expect(found.message).toBe(`${events} line ${lineOf(text, 105n)}: record seq 105 was altered and its hash recomputed (record seq 106 on line ${lineOf(text, 106n)} links to a different hash)`);
    expect(await problem(await withRecords(edited(11, true)))).toMatchObject({ code: 'ERR_EXPORT_CHAIN_BROKEN', seq: 112n, message: expect.stringContaining('the last') });
    expect(await problem(await withRecords(edited(0, true)))).toMatchObject({ code: 'ERR_EXPORT_CHAIN_BROKEN', seq: 101n, message: expect.stringContaining('record seq 102 on line') });
    const relinked = { ...records[0]!, prevHash: 'e'.repeat(64) };
    const replacedFirst = [{ ...relinked, hash: hashRecord(relinked) }, ...records.slice(1)];
    expect(await problem(await withRecords(replacedFirst))).toMatchObject({ code: 'ERR_EXPORT_CHAIN_BROKEN', seq: 101n, message: expect.stringContaining('firstPrevHash') });
  });

  it('names a removed record, in the middle, first or last', async () => {
    const text = write(records);
    expect(await problem(await withRecords(records.filter((_, i) => i !== 4)))).toMatchObject({
      code: 'ERR_EXPORT_RECORD_MISSING', seq: 105n, line: lineOf(text, 105n),
      message: `${events} line ${lineOf(text, 105n)}: record seq 105 is missing (line ${lineOf(text, 105n)} holds seq 106)`,
    });
    expect(await problem(await withRecords(records.slice(1)))).toMatchObject({ code: 'ERR_EXPORT_RECORD_MISSING', seq: 101n, line: format === 'csv' ? 2 : 1 });
    const last = await problem(await withRecords(records.slice(0, -1)));
    expect(last).toMatchObject({ code: 'ERR_EXPORT_RECORD_MISSING', seq: 112n });
    expect(last.message).toContain('the file ends after seq 111');
  });

  it('names records that were swapped, and a record that appears twice', async () => {
    const text = write(records);
    const swapped = [...records];
    [swapped[6], swapped[7]] = [swapped[7]!, swapped[6]!];
    const found = await problem(await withRecords(swapped));
    expect(found).toMatchObject({ code: 'ERR_EXPORT_RECORD_ORDER', seq: 107n, line: lineOf(text, 107n) });
    expect(found.message).toBe(`${events} line ${lineOf(text, 107n)}: the records are out of order: record seq 107 belongs here, but it is on line ${lineOf(write(swapped), 107n)} (line ${lineOf(text, 107n)} holds seq 108)`);
    const twice = [...records.slice(0, 4), records[2]!, ...records.slice(4)];
    expect(await problem(await withRecords(twice))).toMatchObject({ code: 'ERR_EXPORT_RECORD_DUPLICATE', seq: 103n, message: expect.stringContaining(`first on line ${lineOf(text, 103n)}`) });
  });

  it('refuses a record added after the last one the manifest lists, even a well-chained one', async () => {
    const extra = chainOf([awkwardEvent(99)], { firstSeq: 113n, prevHash: records[11]!.hash });
    expect(await problem(await withRecords([...records, ...extra]))).toMatchObject({ code: 'ERR_EXPORT_RECORD_EXTRA', seq: 113n });
  });

  it('notices bytes changed between intact records, and a line that is not a record', async () => {
    const spaced = await retar(original, (files) => editText(files, events, (t) => (format === 'csv' ? t.replace('\n101,', '\n"101",') : t.replace('{"seq":"101",', '{"seq": "101",'))));
    expect(await problem(spaced)).toMatchObject({ code: 'ERR_EXPORT_FILE_CHANGED', file: events });
    const garbage = await retar(original, (files) => editText(files, events, (t) => t.replace(format === 'csv' ? '\n104,' : '{"seq":"104"', format === 'csv' ? '\nfour,' : 'x{"seq":"104"')));
    expect(await problem(garbage)).toMatchObject({ code: 'ERR_EXPORT_RECORD_MALFORMED', line: lineOf(write(records), 104n) });
  });

  it('names a session file that was changed, removed or added', async () => {
    const cast = 'sessions/ses_00000000000000000001.cast';
    expect(await problem(await retar(original, (f) => editText(f, cast, (t) => t.replace('$ ', '# '))))).toMatchObject({ code: 'ERR_EXPORT_FILE_CHANGED', file: cast, message: expect.stringContaining(cast) });
    expect(await problem(await retar(original, (f) => f.delete(cast)))).toMatchObject({ code: 'ERR_EXPORT_FILE_MISSING', file: cast });
    expect(await problem(await retar(original, (f) => f.set('sessions/ses_00000000000000000002.cast', Buffer.from(CAST))))).toMatchObject({ code: 'ERR_EXPORT_FILE_EXTRA', file: 'sessions/ses_00000000000000000002.cast' });
  });

  it('refuses an edited manifest, a manifest signed by another key or for another purpose, and a missing signature', async () => {
    const manifestEdit = await retar(original, (f) => editText(f, 'manifest.json', (t) => t.replace('"count": 12', '"count": 11')));
    expect(await problem(manifestEdit)).toMatchObject({ code: 'ERR_EXPORT_SIGNATURE_INVALID', file: 'manifest.json', message: 'manifest.json was changed after the CA signed it (its signature does not match it)' });
    const other = generateCaKey().signer;
    const resigned = await retar(original, (f) => f.set('manifest.json.sig', Buffer.from(signSshSig(other, f.get('manifest.json')!, EXPORT_NAMESPACE))));
    expect(await problem(resigned)).toMatchObject({ code: 'ERR_EXPORT_SIGNATURE_WRONG_KEY', message: expect.stringMatching(/^manifest.json is not signed by this CA/) });
    expect(await problem(await bundle(other))).toMatchObject({ code: 'ERR_EXPORT_SIGNATURE_WRONG_KEY' });
    const namespace = await retar(original, (f) => f.set('manifest.json.sig', Buffer.from(signSshSig(ca, f.get('manifest.json')!, 'file'))));
    expect(await problem(namespace)).toMatchObject({ code: 'ERR_EXPORT_SIGNATURE_NAMESPACE' });
    expect(await problem(await retar(original, (f) => f.delete('manifest.json.sig')))).toMatchObject({ code: 'ERR_EXPORT_SIGNATURE_MISSING' });
  });
});

describe('verifying exports that are not whole', () => {
  it('passes an export of an empty range', async () => {
    const bytes = await collect(exportBundle({ events: memoryEvents([], { seq: 7n, hash: 'e'.repeat(64) }), filter: { since: NOW, until: null, format: 'csv', sessions: false }, signer: ca, now: NOW }));
    expect(await verifyExport(bytes, ca.publicKey)).toMatchObject({ ok: true, count: 0, firstSeq: null, lastSeq: null, headSeq: 7n, sessions: 0 });
  });

  it('refuses bytes that are not an archive, an archive holding a file twice, and a missing path', async () => {
    expect(await verifyExport(Buffer.from('not a tar'), ca.publicKey)).toMatchObject({ ok: false, problem: { code: 'ERR_EXPORT_UNREADABLE' } });
    const bytes = await collect(exportBundle({ events: memoryEvents(chainOf([awkwardEvent(1)])), filter: { since: null, until: null, format: 'jsonl', sessions: false }, signer: ca, now: NOW }));
    const [first] = await readTarIndex(bufferSource(bytes));
    const doubled = Buffer.concat([bytes.subarray(0, bytes.length - 1024), bytes.subarray(0, first!.offset + Math.ceil(first!.size / 512) * 512), Buffer.alloc(1024)]);
    expect(await verifyExport(doubled, ca.publicKey)).toMatchObject({ ok: false, problem: { code: 'ERR_EXPORT_FILE_EXTRA', message: expect.stringContaining('events.jsonl twice') } });
    expect(await verifyExport('/nonexistent/export.tar', ca.publicKey)).toMatchObject({ ok: false, problem: { code: 'ERR_EXPORT_UNREADABLE', message: 'the export cannot be read: it does not exist' } });
  });
});
