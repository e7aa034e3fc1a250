import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { openDatabase } from '@access/db';
import { parseCertificate, parseKrl } from '@access/sshcert';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshKeygen } from '../testing/ssh-keys.ts';
import type { CliIo } from './io.ts';
import { main } from './main.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(args: string[], env: NodeJS.ProcessEnv = {}, tty = false): Promise<Run> {
  const stdout = Object.assign(new PassThrough(), { isTTY: tty });
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const io: CliIo = { stdout, stderr, env, stopSignal: () => new Promise(() => undefined) };
  const code = await main(args, io);
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

describe('access-server command line', () => {
  let dataDir: string;
  let d: string[];
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'access-cli-'));
    d = ['--data-dir', dataDir];
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints help for every command', async () => {
    for (const args of [['--help'], ['ca', '--help'], ['ca', 'sign-user', '--help'], ['token', 'create', '--help'], ['start', '--help']]) {
      const r = await run(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: access-server/);
    }
  });

  it('ca init creates three Ed25519 keys, 0600 in a 0700 folder, and refuses to run twice', async () => {
    const r = await run([...d, 'ca', 'init']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['user', 'host', 'upstream']);
    expect(lines.every((l) => / ssh-ed25519 AAAA/.test(l))).toBe(true);
    expect(statSync(join(dataDir, 'keys')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'keys', 'user-ca')).mode & 0o777).toBe(0o600);
    const again = await run([...d, 'ca', 'init']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/ca rotate/);
    const keys = await run([...d, 'ca', 'keys']);
    expect(keys.stdout).toBe(r.stdout);
  });

  it('never writes a private key to stdout or stderr', async () => {
    const r = await run([...d, 'ca', 'keys']);
    const privateText = readFileSync(join(dataDir, 'keys', 'user-ca'), 'utf8');
    const body = privateText.split('\n').slice(1, -2).join('');
    expect(r.stdout + r.stderr).not.toContain(body.slice(0, 40));
  });

  it('ca sign-user prints a certificate with the asked fields', async () => {
    const key = sshKeygen('ed25519');
    const r = await run([...d, 'ca', 'sign-user', '--public-key', key.publicPath, '--principals', 'alice,ops', '--ttl', '10m', '--key-id', 'alice', '--force-command', 'id', '--source-address', '10.0.0.0/8', '--extensions', 'permit-pty,permit-agent-forwarding']);
    expect(r.stderr).toMatch(/serial \d+/);
    expect(r.code).toBe(0);
    const cert = parseCertificate(r.stdout.trim());
    expect(cert.principals).toEqual(['alice', 'ops']);
    expect(cert.keyId).toBe('alice');
    expect(cert.criticalOptions).toEqual({ 'force-command': 'id', 'source-address': '10.0.0.0/8' });
    expect(cert.extensions).toEqual(['permit-agent-forwarding', 'permit-pty']);
  });

  it('ca sign-host prints a host certificate; a TTL over the cap is refused', async () => {
    const key = sshKeygen('ed25519');
    const ok = await run([...d, 'ca', 'sign-host', '--public-key', key.publicPath, '--principals', 'web-1,10.0.0.5', '--ttl', '30d']);
    expect(ok.code).toBe(0);
    expect(parseCertificate(ok.stdout.trim()).type).toBe('host');
    const tooLong = await run([...d, 'ca', 'sign-host', '--public-key', key.publicPath, '--principals', 'web-1', '--ttl', '400d']);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toMatch(/longer than the host certificate cap of 90d/);
    expect(tooLong.stdout).toBe('');
  });

  it('says clearly when the public key file is missing', async () => {
    const r = await run([...d, 'ca', 'sign-user', '--public-key', '/nonexistent.pub', '--principals', 'a', '--ttl', '5m']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read the public key file \/nonexistent.pub: ENOENT/);
  });

  it('revokes by serial and writes a KRL that names it; refuses to write binary to a terminal', async () => {
    const key = sshKeygen('ed25519');
    const signed = await run([...d, 'ca', 'sign-user', '--public-key', key.publicPath, '--principals', 'eve', '--ttl', '5m']);
    const serial = parseCertificate(signed.stdout.trim()).serial;
    expect((await run([...d, 'ca', 'revoke', '--serial', String(serial), '--reason', 'test'])).code).toBe(0);
    expect((await run([...d, 'ca', 'revoke', '--key-id', 'someone'])).code).toBe(0);
    const tty = await run([...d, 'ca', 'krl'], {}, true);
    expect(tty.code).toBe(1);
    expect(tty.stderr).toMatch(/binary/);
    const out = join(dataDir, 'revoked.krl');
    expect((await run([...d, 'ca', 'krl', '--output', out])).code).toBe(0);
    const spec = parseKrl(readFileSync(out));
    expect(spec.certificates.flatMap((s) => s.serials)).toContain(serial);
    expect(spec.certificates.flatMap((s) => s.keyIds)).toContain('someone');
  });

  it('token create prints a token once; token ls never shows it', async () => {
    const r = await run([...d, 'token', 'create', '--role', 'admin', '--description', 'ci']);
    expect(r.code).toBe(0);
    const token = r.stdout.trim();
    expect(token).toMatch(/^acc_[A-Za-z0-9_-]{43}$/);
    const ls = await run([...d, 'token', 'ls', '--json']);
    expect(JSON.parse(ls.stdout)[0].description).toBe('ci');
    expect(ls.stdout).not.toContain(token);
    const badRole = await run([...d, 'token', 'create', '--role', 'superuser']);
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toMatch(/unknown token role "superuser"; roles: admin/);
  });

  it('audit verify passes on the untouched log and names the record after an edit', async () => {
    const ok = await run([...d, 'audit', 'verify']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ok: \d+ events/);
    const handle = await openDatabase({ dataDir });
    await sql`update audit_events set details = '{"edited":true}'::jsonb where seq = 2`.execute(handle.db);
    await handle.close();
    const bad = await run([...d, 'audit', 'verify']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/audit chain broken at event 2/);
  });

  it('refuses a second process on the same embedded database', async () => {
    const { lockDataDir } = await import('../data-dir-lock.ts');
    const unlock = lockDataDir(dataDir);
    try {
      // Our own pid holds it here, so pretend to be another process by writing a live foreign pid.
      const { writeFileSync } = await import('node:fs');
      writeFileSync(join(dataDir, 'access.lock'), String(process.ppid));
      const r = await run([...d, 'ca', 'keys']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/in use by access-server \(pid \d+\)/);
    } finally {
      unlock();
    }
  });
});
