import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLabelSelector } from './commands/identity-commands.ts';
import type { CliIo } from './io.ts';
import { main } from './main.ts';

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const io: CliIo = { stdout, stderr, env: {}, stopSignal: () => new Promise(() => undefined) };
  const code = await main(args, io);
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

describe('access-server role and grant commands', () => {
  let dataDir: string;
  let d: string[];
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'access-cli-identity-'));
    d = ['--data-dir', dataDir];
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints help for grant, role create and role ls', async () => {
    for (const args of [['grant', '--help'], ['role', 'create', '--help'], ['role', 'ls', '--help']]) {
      const r = await run(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: access-server/);
    }
  });

  it('parses --labels into a selector, repeated keys adding values', () => {
    expect(parseLabelSelector('env=dev,env=staging,team=*')).toEqual({ env: ['dev', 'staging'], team: ['*'] });
    expect(() => parseLabelSelector('env')).toThrow(/KEY=VALUE/);
  });

  it('role create stores the role with the flags given, and role ls lists it with the built-in roles', async () => {
    const created = await run([...d, 'role', 'create', 'dev', '--logins', 'deploy,{{email.local}}', '--labels', 'env=dev,team=*', '--max-ttl', '8h', '--pty', '--file-transfer']);
    expect(created.stderr).toMatch(/^applied migrations: 0001_foundation, 0002_identity/);
    expect(created.code).toBe(0);
    expect(created.stdout).toBe('dev  logins=deploy,{{email.local}}  labels=env=dev,team=*  max-ttl=8h  permissions=pty,fileTransfer  capabilities=-\n');
    const ls = await run([...d, 'role', 'ls', '--json']);
    const roles = JSON.parse(ls.stdout) as Array<{ name: string; maxTtl: number; capabilities: string[] }>;
    expect(roles.map((r) => r.name)).toEqual(['admin', 'auditor', 'dev']);
    expect(roles[2]).toMatchObject({ maxTtl: 28_800, capabilities: [] });
  });

  it('role create refuses an invalid role with the reason and exit status 1', async () => {
    const r = await run([...d, 'role', 'create', 'bad', '--logins', '{{email.domain}}', '--max-ttl', '8h']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: unknown variable \{\{email\.domain\}\}/);
  });

  it('grant prints the new grant id and refuses a grant naming neither or both of user and group', async () => {
    const ok = await run([...d, 'grant', '--user', 'Alice@example.com', '--role', 'dev', '--expires', '30d', '--reason', 'onboarding']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^grt_[0-9a-f]{16}\n$/);
    expect(ok.stderr).toMatch(/granted role dev to user alice@example\.com until /);
    const admin = await run([...d, 'grant', '--group', 'platform', '--role', 'admin', '--reason', 'the platform team runs access']);
    expect(admin.stderr).toMatch(/granted role admin to group platform without expiry/);
    const neither = await run([...d, 'grant', '--role', 'dev', '--reason', 'x']);
    expect(neither.code).toBe(1);
    expect(neither.stderr).toMatch(/exactly one of --user EMAIL or --group NAME/);
    const unknown = await run([...d, 'grant', '--group', 'g', '--role', 'nope', '--reason', 'x']);
    expect(unknown.stderr).toMatch(/no role named "nope"/);
  });
});
