import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateCaKey, verifySshSig } from '@access/sshcert';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CsvReader } from './csv.ts';
import { exportBundle, exportFileName, type ExportFile } from './export-bundle.ts';
import { EXPORT_NAMESPACE, parseManifest } from './export-manifest.ts';
import { CSV_COLUMNS, recordFromCsvFields, recordFromJsonLine } from './export-records.ts';
import { verifyExport } from './export-verify.ts';
import { awkwardEvent, chainOf, collect, memoryEvents, untar } from './testing/export-fixtures.ts';

const run = promisify(execFile);
const ca = generateCaKey('access user CA').signer;
const NOW = new Date('2030-02-01T12:34:56.789Z');
const records = chainOf(Array.from({ length: 9 }, (_, i) => awkwardEvent(i)));
const filter = { since: new Date('2030-01-01T00:00:00Z'), until: NOW, format: 'jsonl' as const, sessions: true };
const file = (name: string, ...pieces: string[]): ExportFile => ({ name, content: async function* () { yield* pieces; } });

describe('an export archive', () => {
  let dir: string;
  let bytes: Buffer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-export-test-'));
    const files = async function* () { yield file('sessions/ses_0123456789abcdef0123.json', '{"id":"ses_0123456789abcdef0123"}\n'); yield file('sessions/ses_0123456789abcdef0123.cast', 'header\n', '[1,"o","x"]\n'); };
    bytes = await collect(exportBundle({ events: memoryEvents(records), filter, files, signer: ca, now: NOW }));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('is a tar that tar -tf lists, events first and the manifest and its signature last', async () => {
    await writeFile(join(dir, 'export.tar'), bytes);
    const { stdout } = await run('tar', ['-tvf', join(dir, 'export.tar')]);
    const names = stdout.trim().split('\n').map((line) => line.split(/\s+/).at(-1));
    expect(names).toEqual(['events.jsonl', 'sessions/ses_0123456789abcdef0123.json', 'sessions/ses_0123456789abcdef0123.cast', 'manifest.json', 'manifest.json.sig']);
    expect(stdout.split('\n')[0]).toMatch(/^-rw------- root\/root +\d+ 2030-02-01 12:34 events.jsonl$/);
  });

  it('extracts with tar -xf to files that verify as a directory, and that GNU tar can pack again', async () => {
    const out = join(dir, 'extracted');
    await run('mkdir', ['-p', out]);
    await run('tar', ['-xf', join(dir, 'export.tar'), '-C', out]);
    expect(await readFile(join(out, 'sessions/ses_0123456789abcdef0123.cast'), 'utf8')).toBe('header\n[1,"o","x"]\n');
    expect(await verifyExport(out, ca.publicKey)).toMatchObject({ ok: true, count: 9, sessions: 1 });
    await run('tar', ['-cf', join(dir, 'repacked.tar'), '-C', out, '.']);
    expect(await verifyExport(join(dir, 'repacked.tar'), ca.publicKey)).toMatchObject({ ok: true, count: 9 });
    await writeFile(join(out, 'sessions/ses_0123456789abcdef0123.cast'), 'header\n[1,"o","y"]\n');
    expect(await verifyExport(out, ca.publicKey)).toMatchObject({ ok: false, problem: { code: 'ERR_EXPORT_FILE_CHANGED', file: 'sessions/ses_0123456789abcdef0123.cast' } });
  });

  it('has a signed manifest that ssh-keygen -Y verify accepts with the CA key in allowed_signers', async () => {
    const files = await untar(bytes);
    await writeFile(join(dir, 'allowed_signers'), `audit namespaces="${EXPORT_NAMESPACE}" ${ca.publicKey.type} ${ca.publicKey.blob.toString('base64')}\n`);
    await writeFile(join(dir, 'manifest.json'), files.get('manifest.json')!);
    await writeFile(join(dir, 'manifest.json.sig'), files.get('manifest.json.sig')!);
    const verify = `ssh-keygen -Y verify -f allowed_signers -I audit -n ${EXPORT_NAMESPACE} -s manifest.json.sig < manifest.json`;
    const { stdout } = await run('sh', ['-c', verify], { cwd: dir });
    expect(stdout).toContain('Good');
    expect(verifySshSig(files.get('manifest.json.sig')!, files.get('manifest.json')!, { publicKey: ca.publicKey, namespace: EXPORT_NAMESPACE }).namespace).toBe(EXPORT_NAMESPACE);
  });

  it('lists in its manifest the range, the head and every file’s size and sha256', async () => {
    const files = await untar(bytes);
    const manifest = parseManifest(files.get('manifest.json')!.toString());
    if (typeof manifest === 'string') throw new Error(manifest);
    expect(manifest).toMatchObject({
      format: 'access-audit-export', formatVersion: 1, createdAt: NOW.toISOString(),
      filter: { since: '2030-01-01T00:00:00.000Z', until: NOW.toISOString(), format: 'jsonl', sessions: true },
      count: 9, firstSeq: '1', lastSeq: '9', firstPrevHash: records[0]!.prevHash, lastHash: records[8]!.hash, headSeq: '9', headHash: records[8]!.hash,
    });
    expect(manifest.files.map((f) => [f.name, f.size])).toEqual([...files].slice(0, 3).map(([name, content]) => [name, content.length]));
  });

  it('writes every record so that its fields read back exactly, in JSON lines and in CSV', async () => {
    const lines = (await untar(bytes)).get('events.jsonl')!.toString().split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map(recordFromJsonLine)).toEqual(records);
    const csv = await collect(exportBundle({ events: memoryEvents(records), filter: { ...filter, format: 'csv' }, signer: ca, now: NOW }));
    const rows = new CsvReader().push((await untar(csv)).get('events.csv')!.toString());
    expect(rows[0]!.fields).toEqual([...CSV_COLUMNS]);
    expect(rows.slice(1).map((row) => recordFromCsvFields(row.fields))).toEqual(records);
    expect(rows.map((row) => row.line).slice(0, 6)).toEqual([1, 2, 3, 4, 5, 8]); // record 4's remote holds two line breaks
  });

  it('stops with an error when a file changes between measuring and sending, and sends a growing one as first measured', async () => {
    let runs = 0;
    const changing: ExportFile = { name: 'sessions/a.cast', content: async function* () { yield `run ${++runs}\n`; } };
    const stream = exportBundle({ events: memoryEvents(records), filter, files: async function* () { yield changing; }, signer: ca, now: NOW });
    await expect(collect(stream)).rejects.toMatchObject({ code: 'ERR_AUDIT_EXPORT', message: 'sessions/a.cast changed while it was being exported; export again' });
    let growth = 0;
    const growing: ExportFile = { name: 'sessions/b.cast', content: async function* () { yield 'header\n'; for (let i = 0; i <= growth; i++) yield `[${i}]\n`; growth++; } };
    const grown = await collect(exportBundle({ events: memoryEvents(records), filter, files: async function* () { yield growing; }, signer: ca, now: NOW }));
    expect((await untar(grown)).get('sessions/b.cast')!.toString()).toBe('header\n[0]\n');
    expect(await verifyExport(grown, ca.publicKey)).toMatchObject({ ok: true });
  });

  it('refuses two files with one name', async () => {
    const stream = exportBundle({ events: memoryEvents(records), filter, files: async function* () { yield file('manifest.json', 'x'); }, signer: ca, now: NOW });
    await expect(collect(stream)).rejects.toMatchObject({ code: 'ERR_AUDIT_EXPORT' });
  });

  it('is named after its range', () => {
    expect(exportFileName(filter, NOW)).toBe('access-audit-20300101T000000Z-20300201T123456Z.tar');
    expect(exportFileName({ since: null, until: null }, NOW)).toBe('access-audit-start-20300201T123456Z.tar');
  });
});
