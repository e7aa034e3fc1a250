import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exportBundle, GENESIS_HASH, hashRecord, type AuditRecord, type ExportEvents } from '@access/audit';
import { formatPublicKey, generateCaKey } from '@access/sshcert';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { access, makeHome, testIo } from '../testing/test-io.ts';
import { defaultExportName } from './audit-commands.ts';

const run = promisify(execFile);
const ca = generateCaKey('access user CA').signer;
const CA_LINE = formatPublicKey(ca.publicKey);
const NOW = new Date('2030-02-01T00:00:00Z');

function chain(n: number): AuditRecord[] {
  const records: AuditRecord[] = [];
  for (let i = 1; i <= n; i++) {
    const unhashed = {
      seq: BigInt(i), id: `00000000-0000-4000-8000-00000000000${i}`, time: new Date(Date.parse('2030-01-10T00:00:00Z') + i * 1000), type: 'cert.issued' as const, code: 'CA1000I',
      actor: { kind: 'user' as const, id: `user-${i}` }, remote: '192.0.2.1', details: { serial: String(i) }, prevHash: records[i - 2]?.hash ?? GENESIS_HASH,
    };
    records.push({ ...unhashed, hash: hashRecord(unhashed) });
  }
  return records;
}

async function exportTar(records: AuditRecord[]): Promise<Buffer> {
  const events: ExportEvents = { firstSeq: 1n, lastSeq: BigInt(records.length), count: records.length, headSeq: 9n, headHash: 'a'.repeat(64), pages: async function* () { yield records; } };
  const pieces: Buffer[] = [];
  for await (const piece of exportBundle({ events, filter: { since: new Date('2030-01-01T00:00:00Z'), until: NOW, format: 'jsonl', sessions: false }, signer: ca, now: NOW })) pieces.push(piece);
  return Buffer.concat(pieces);
}

/** A fetch that answers GET /v1/audit/export with `body` in pieces (or `status` with an error), keeping the URLs asked. */
function exportFetch(options: { body?: Buffer; status?: number; breakAfter?: number } = {}) {
  const seen: Array<{ url: URL; authorization: string | undefined }> = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    seen.push({ url: new URL(String(input)), authorization: (init?.headers as Record<string, string>)['authorization'] });
    if (options.status) return new Response(JSON.stringify({ error: { code: 'ERR_FORBIDDEN', message: 'you may not do that: it needs the audit capability' } }), { status: options.status });
    const body = options.body ?? Buffer.alloc(0);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (options.breakAfter !== undefined && sent >= options.breakAfter) return controller.error(new Error('socket hang up'));
        if (sent >= body.length) return controller.close();
        controller.enqueue(body.subarray(sent, sent + (1 << 20)));
        sent += 1 << 20;
      },
    });
    return new Response(stream, { status: 200, headers: { 'content-type': 'application/x-tar', 'x-access-audit-count': '3', 'content-disposition': 'attachment; filename="x.tar"' } });
  };
  return { fetch, seen };
}

describe('access audit', () => {
  let home: string;
  let tar: Buffer;
  beforeAll(async () => {
    tar = await exportTar(chain(3));
  });
  beforeEach(() => (home = makeHome()));
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const cli = async (args: string[], fetch?: typeof globalThis.fetch) => {
    const io = testIo(home, { env: { ACCESS_TOKEN: 'acu_auditor', ACCESS_SERVER: 'https://ca.example' } });
    if (fetch) io.fetch = fetch;
    const code = await access(io, args);
    return { code, out: io.out(), err: io.err() };
  };

  it('export streams the signed tar to --output (0600) and asks for exactly the period, format and sessions given', async () => {
    const fake = exportFetch({ body: tar });
    const output = join(home, 'audit.tar');
    const r = await cli(['audit', 'export', '--since', '2030-01-01T00:00:00Z', '--until', '2030-02-01T00:00:00Z', '--format', 'csv', '--sessions', '--output', output], fake.fetch);
    expect(r).toMatchObject({ code: 0, out: '' });
    expect(readFileSync(output).equals(tar)).toBe(true);
    expect(statSync(output).mode & 0o777).toBe(0o600);
    expect(readdirSync(home).filter((f) => f.endsWith('.part'))).toEqual([]);
    expect(fake.seen).toHaveLength(1);
    expect(fake.seen[0]!.url.pathname).toBe('/v1/audit/export');
    expect(Object.fromEntries(fake.seen[0]!.url.searchParams)).toEqual({ since: '2030-01-01T00:00:00.000Z', until: '2030-02-01T00:00:00.000Z', format: 'csv', sessions: 'true' });
    expect(fake.seen[0]!.authorization).toBe('Bearer acu_auditor');
    expect(r.err).toContain('exporting 3 events from 2030-01-01T00:00:00.000Z to 2030-02-01T00:00:00.000Z with session recordings');
    expect(r.err).toContain(`wrote ${output} (${tar.length} bytes). Check it, anywhere and offline: access audit verify ${output} --ca-key`);
  });

  it('export reports progress on a large download, and keeps nothing of one that broke off', async () => {
    const output = join(home, 'big.tar');
    const big = await cli(['audit', 'export', '--since', '30d', '--until', 'now', '--output', output], exportFetch({ body: Buffer.alloc(17 << 20) }).fetch);
    expect(big.code).toBe(0);
    expect(big.err).toContain('16.0 MiB so far');
    rmSync(output);
    const broken = await cli(['audit', 'export', '--since', '30d', '--until', 'now', '--output', output], exportFetch({ body: Buffer.alloc(4 << 20), breakAfter: 2 << 20 }).fetch);
    expect(broken.code).toBe(1);
    expect(broken.err).toMatch(/the export broke off after 2\.0 MiB .*nothing was saved/);
    expect(existsSync(output) || existsSync(`${output}.part`)).toBe(false);
  });

  it('export shows the server’s refusal with what to do', async () => {
    const r = await cli(['audit', 'export', '--since', '1d', '--until', 'now', '--output', join(home, 'x.tar')], exportFetch({ status: 403 }).fetch);
    expect(r.code).toBe(1);
    expect(r.err).toContain('it needs the audit capability (ERR_FORBIDDEN, HTTP 403)\nYour roles do not allow this');
  });

  it('export names the file after the period by default', () => {
    expect(defaultExportName('2030-01-01T00:00:00.000Z', '2030-02-01T09:30:00.000Z')).toBe('access-audit-20300101T000000Z-20300201T093000Z.tar');
  });

  it('verify passes an intact export, given the CA key as the line itself or as a file, and summarizes it', async () => {
    const file = join(home, 'audit.tar');
    writeFileSync(file, tar);
    const r = await cli(['audit', 'verify', file, '--ca-key', CA_LINE]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out.split('\n')[0]).toMatch(/^verified: .*audit\.tar is an intact audit export, signed by the user CA key SHA256:/);
    expect(r.out).toContain('events:   3 (seq 1 to 3), jsonl');
    writeFileSync(join(home, 'user-ca.pub'), `# the access user CA\n${CA_LINE}\n`);
    expect((await cli(['audit', 'verify', file, '--ca-key', join(home, 'user-ca.pub'), '--json'])).out).toContain('"ok": true');
  });

  it('verify fails with exit 1 naming the edited record, in an extracted directory too', async () => {
    writeFileSync(join(home, 'audit.tar'), tar);
    const dir = join(home, 'extracted');
    mkdirSync(dir);
    await run('tar', ['-xf', join(home, 'audit.tar'), '-C', dir]);
    expect((await cli(['audit', 'verify', dir, '--ca-key', CA_LINE])).code).toBe(0);
    const events = readFileSync(join(dir, 'events.jsonl'), 'utf8');
    writeFileSync(join(dir, 'events.jsonl'), events.replace('"serial":"2"', '"serial":"20"'));
    const r = await cli(['audit', 'verify', dir, '--ca-key', CA_LINE]);
    expect(r).toMatchObject({ code: 1, out: '' });
    expect(r.err).toBe('error: the export did NOT verify: events.jsonl line 2: record seq 2 was altered (its hash does not match its contents)\n');
  });

  it('verify fails for an export signed by another key, and says exactly what to pass without --ca-key', async () => {
    const file = join(home, 'audit.tar');
    writeFileSync(file, tar);
    const other = await cli(['audit', 'verify', file, '--ca-key', formatPublicKey(generateCaKey().signer.publicKey)]);
    expect(other.code).toBe(1);
    expect(other.err).toContain('manifest.json is not signed by this CA');
    const none = await cli(['audit', 'verify', file]);
    expect(none.code).toBe(1);
    expect(none.err).toContain('pass --ca-key with the access user CA public key');
    expect(none.err).toContain('"ssh-keygen -y -f <data-dir>/keys/user-ca"');
    const bad = await cli(['audit', 'verify', file, '--ca-key', join(home, 'missing.pub')]);
    expect(bad.err).toContain('--ca-key is neither a public key');
  });

  it('has --help for both commands', async () => {
    const exportHelp = await cli(['audit', 'export', '--help']);
    expect(exportHelp.code).toBe(0);
    expect(exportHelp.out).toMatch(/Usage: access audit export \[options\][\s\S]*--since <time>[\s\S]*--until <time>[\s\S]*--format <format>[\s\S]*--sessions[\s\S]*--output <file>/);
    const verifyHelp = await cli(['audit', 'verify', '--help']);
    expect(verifyHelp.code).toBe(0);
    expect(verifyHelp.out).toMatch(/Usage: access audit verify \[options\] <export>[\s\S]*--ca-key <key>/);
  });
});
