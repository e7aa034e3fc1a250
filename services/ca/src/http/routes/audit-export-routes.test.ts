import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EXPORT_NAMESPACE, hashRecord, verifyExport, type AuditRecord, type ExportFormat, type ExportProblem } from '@access/audit';
import { testDatabaseKinds } from '@access/db';
import { generateCaKey, signSshSig, type SshPublicKey } from '@access/sshcert';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertChunks, insertGateway, insertSession } from '../../testing/session-rows.ts';
import { createTestCa, type TestCa } from '../../testing/test-ca.ts';
import { auditHead, callerWith, lastAudit, signedInPerson, type Person } from './route-test-kit.ts';

const run = promisify(execFile);
const MINUTE = 60_000;

/** A record as a line of the events file, written here independently of the exporter. */
function serialized(r: AuditRecord, format: ExportFormat): string {
  const fields = [r.seq.toString(), r.id, r.time.toISOString(), r.type, r.code, JSON.stringify(r.actor), r.remote, JSON.stringify(r.details), r.prevHash, r.hash];
  if (format === 'csv') return fields.map((f) => (f === null ? '' : `"${f.replaceAll('"', '""')}"`)).join(',');
  return JSON.stringify({ seq: fields[0], id: r.id, time: fields[2], type: r.type, code: r.code, actor: r.actor, remote: r.remote, details: r.details, prevHash: r.prevHash, hash: r.hash });
}

describe.each(testDatabaseKinds())('GET /v1/audit/export, on %s', (kind) => {
  let ca: TestCa;
  let auditor: Person;
  let engineer: Person;
  let caKey: SshPublicKey;
  let work: string;
  const sessions: Record<string, string> = {};
  beforeAll(async () => {
    ca = await createTestCa(kind);
    caKey = ca.services.keyring.signer('user').publicKey;
    work = await mkdtemp(join(tmpdir(), 'audit-export-route-'));
    const db = ca.services.database.db;
    await callerWith(ca, ca.adminToken)('POST', '/v1/roles', { name: 'dev', logins: ['deploy'], hostLabels: { env: ['dev'] }, maxTtl: '1h' });
    auditor = await signedInPerson(ca, 'auditor@example.com', ['auditor']);
    engineer = await signedInPerson(ca, 'engineer@example.com', ['dev']);
    const gw = await insertGateway(db);
    sessions['old'] = await insertSession(db, gw, { started_at: new Date('2020-01-01T10:00:00Z'), ended_at: new Date('2020-01-01T10:05:00Z') });
    sessions['recent'] = await insertSession(db, gw, { started_at: new Date(Date.now() - MINUTE), status: 'live' });
    await insertChunks(db, sessions['recent'], [['[0.5,"o","$ "]', '[1,"i","ls\\r"]'], ['[1.2,"o","a.txt\\r\\n"]']]);
  });
  afterAll(async () => {
    await ca?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const exportAs = (person: Person, query: string) => callerWith(ca, person.token)('GET', `/v1/audit/export${query}`);
  const problem = async (path: string): Promise<ExportProblem> => {
    const result = await verifyExport(path, caKey);
    if (result.ok) throw new Error(`${path} verified`);
    return result.problem;
  };

  it('lets an auditor export everything as a signed tar that verifies against the user CA key, and audits the export after its head', async () => {
    const head = await auditHead(ca);
    const response = await exportAs(auditor, '?format=jsonl&sessions=true');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/x-tar');
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="access-audit-start-\d{8}T\d{6}Z\.tar"$/);
    expect(response.headers['x-access-audit-count']).toBe(String(head));
    const result = await verifyExport(response.rawPayload, caKey);
    expect(result).toMatchObject({ ok: true, count: Number(head), firstSeq: 1n, lastSeq: head, headSeq: head, sessions: 2, filter: { since: null, until: null, format: 'jsonl', sessions: true } });
    const event = await lastAudit(ca, 'audit.exported');
    expect(event).toMatchObject({ code: 'AD1000I', actor: { kind: 'user', id: auditor.user.id }, details: { count: Number(head), firstSeq: '1', lastSeq: String(head), headSeq: String(head) } });
    expect(event!.seq).toBeGreaterThan(head);

    const file = join(work, 'all.tar');
    await writeFile(file, response.rawPayload);
    const { stdout } = await run('tar', ['-tf', file]);
    expect(stdout.trim().split('\n')).toEqual([
      'events.jsonl',
      `sessions/${sessions['old']}.json`, `sessions/${sessions['old']}.cast`,
      `sessions/${sessions['recent']}.json`, `sessions/${sessions['recent']}.cast`,
      'manifest.json', 'manifest.json.sig',
    ]);
    const out = join(work, 'all');
    await mkdir(out);
    await run('tar', ['-xf', file, '-C', out]);
    expect(await readFile(join(out, `sessions/${sessions['recent']}.cast`), 'utf8')).toMatch(/^\{"version":2,.*\n\[0\.5,"o","\$ "\]\n\[1,"i","ls\\r"\]\n\[1\.2,"o","a\.txt\\r\\n"\]\n$/);
    expect(JSON.parse(await readFile(join(out, `sessions/${sessions['recent']}.json`), 'utf8'))).toMatchObject({ id: sessions['recent'], status: 'live' });
    expect((await readFile(join(out, 'events.jsonl'), 'utf8')).split('\n')).toHaveLength(Number(head) + 1);
  });

  it('exports CSV for a time range: the events and the sessions that started in it', async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    const since = new Date();
    await callerWith(ca, ca.adminToken)('POST', '/v1/roles', { name: 'ops', logins: ['ops'], hostLabels: { env: ['prod'] }, maxTtl: '1h' });
    const firstInRange = await auditHead(ca);
    const response = await exportAs(auditor, `?format=csv&sessions=true&since=${since.toISOString()}`);
    expect(response.statusCode).toBe(200);
    const result = await verifyExport(response.rawPayload, caKey);
    expect(result).toMatchObject({ ok: true, firstSeq: firstInRange, sessions: 0, filter: { since: since.toISOString(), format: 'csv' } });
    const none = await exportAs(auditor, '?since=2020-01-01&until=2020-01-02&sessions=true');
    expect(await verifyExport(none.rawPayload, caKey)).toMatchObject({ ok: true, count: 0, sessions: 1 });
  });

  it('refuses an engineer without the audit capability (403, audited) and a caller without a token (401)', async () => {
    const refused = await exportAs(engineer, '?format=jsonl');
    expect([refused.statusCode, refused.json().error.code]).toEqual([403, 'ERR_FORBIDDEN']);
    expect((await lastAudit(ca, 'auth.denied'))?.details).toMatchObject({ route: '/v1/audit/export', reason: 'lacks the audit capability' });
    expect((await ca.app.inject({ method: 'GET', url: '/v1/audit/export' })).statusCode).toBe(401);
  });

  it('answers 400 naming the parameter for every bad one', async () => {
    for (const [query, named] of [
      ['?format=xml', 'format'], ['?since=yesterday', 'since'], ['?until=2030-13-01', 'until'], ['?sessions=yes', 'sessions'],
      ['?since=2030-01-02&until=2030-01-01', 'since'], ['?limit=5', 'limit'], ['?format=csv&format=jsonl', 'format'],
    ]) {
      const response = await exportAs(auditor, query!);
      expect([query, response.statusCode, response.json().error.code]).toEqual([query, 400, 'ERR_BAD_REQUEST']);
      expect(response.json().error.message).toContain(named);
    }
  });

  it('allows each caller 5 exports a minute, then answers 429', async () => {
    const busy = await signedInPerson(ca, 'busy-auditor@example.com', ['auditor']);
    for (let i = 0; i < 5; i++) expect((await exportAs(busy, '?since=2020-01-01&until=2020-01-02')).statusCode).toBe(200);
    const limited = await exportAs(busy, '?since=2020-01-01&until=2020-01-02');
    expect([limited.statusCode, limited.json().error.code]).toEqual([429, 'ERR_RATE_LIMITED']);
    expect(limited.json().error.message).toMatch(/5 a minute/);
  });

  describe.each(['jsonl', 'csv'] as const)('an export tampered with after download (%s)', (format) => {
    let pristine: string;
    let lines: string[];
    let target: AuditRecord;
    const events = `events.${format}`;
    beforeAll(async () => {
      const response = await exportAs(await signedInPerson(ca, `auditor-${format}@example.com`, ['auditor']), `?format=${format}&sessions=true`);
      pristine = join(work, `pristine-${format}`);
      await mkdir(pristine);
      await writeFile(join(work, `${format}.tar`), response.rawPayload);
      await run('tar', ['-xf', join(work, `${format}.tar`), '-C', pristine]);
      lines = (await readFile(join(pristine, events), 'utf8')).split('\n');
      // A record in the middle: the role created in an earlier test, with events after it.
      target = (await lastAudit(ca, 'role.created'))!;
    });
    let copies = 0;
    const tampered = async (edit: (dir: string) => Promise<void>) => {
      const dir = join(work, `${format}-${++copies}`);
      await cp(pristine, dir, { recursive: true });
      await edit(dir);
      return dir;
    };
    const withLines = (edit: (lines: string[]) => string[]) => tampered((dir) => writeFile(join(dir, events), edit([...lines]).join('\n')));
    /** The line (from 1) the record starts on. */
    const lineOf = (seq: bigint) => 1 + lines.findIndex((l) => l.startsWith(format === 'csv' ? `${seq},` : `{"seq":"${seq}"`));

    it('passes untouched', async () => {
      expect(await verifyExport(pristine, caKey)).toMatchObject({ ok: true, sessions: 2 });
    });

    it('names a record whose detail was edited, with or without its hash recomputed', async () => {
      const changed = { ...target, details: { ...target.details, reason: 'nothing to see' } };
      const at = lineOf(target.seq) - 1;
      const plain = await withLines((l) => (l.splice(at, 1, serialized(changed, format)), l));
      expect(await problem(plain)).toMatchObject({
        code: 'ERR_EXPORT_RECORD_ALTERED', file: events, line: at + 1, seq: target.seq,
        message: `${events} line ${at + 1}: record seq ${target.seq} was altered (its hash does not match its contents)`,
      });
      const rehashed = await withLines((l) => (l.splice(at, 1, serialized({ ...changed, hash: hashRecord(changed) }, format)), l));
      expect(await problem(rehashed)).toMatchObject({ code: 'ERR_EXPORT_CHAIN_BROKEN', line: at + 1, seq: target.seq, message: expect.stringContaining(`record seq ${target.seq} was altered and its hash recomputed`) });
    });

    it('names a removed record and two swapped ones', async () => {
      const at = lineOf(target.seq) - 1;
      expect(await problem(await withLines((l) => (l.splice(at, 1), l)))).toMatchObject({
        code: 'ERR_EXPORT_RECORD_MISSING', line: at + 1, seq: target.seq, message: `${events} line ${at + 1}: record seq ${target.seq} is missing (line ${at + 1} holds seq ${target.seq + 1n})`,
      });
      const swapped = await withLines((l) => ([l[at], l[at + 1]] = [l[at + 1]!, l[at]!], l));
      expect(await problem(swapped)).toMatchObject({ code: 'ERR_EXPORT_RECORD_ORDER', line: at + 1, seq: target.seq, message: expect.stringContaining(`record seq ${target.seq} belongs here, but it is on line ${at + 2}`) });
    });

    it('names a changed session recording, an edited manifest and a signature by another key', async () => {
      const cast = `sessions/${sessions['recent']}.cast`;
      const recording = await tampered(async (dir) => writeFile(join(dir, cast), (await readFile(join(dir, cast), 'utf8')).replace('a.txt', 'b.txt')));
      expect(await problem(recording)).toMatchObject({ code: 'ERR_EXPORT_FILE_CHANGED', file: cast, message: `${cast} was changed: its sha256 is not the one in the signed manifest` });
      const manifest = await tampered(async (dir) => writeFile(join(dir, 'manifest.json'), (await readFile(join(dir, 'manifest.json'), 'utf8')).replace('"sessions": true', '"sessions": false')));
      expect(await problem(manifest)).toMatchObject({ code: 'ERR_EXPORT_SIGNATURE_INVALID', file: 'manifest.json' });
      const forged = await tampered(async (dir) => writeFile(join(dir, 'manifest.json.sig'), signSshSig(generateCaKey().signer, await readFile(join(dir, 'manifest.json')), EXPORT_NAMESPACE)));
      expect(await problem(forged)).toMatchObject({ code: 'ERR_EXPORT_SIGNATURE_WRONG_KEY', message: expect.stringContaining('manifest.json is not signed by this CA') });
    });
  });
});
