import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseCertificate } from '@access/sshcert';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { access, startAccess } from '../support/access-cli.ts';
import { launchBrowser } from '../support/browser.ts';
import { startDevServer, type DevServer } from '../support/dev-server.ts';
import { ensureUser } from '../support/linux-user.ts';
import { run } from '../support/process.ts';
import { SSH } from '../support/ssh-client.ts';
import { startSshd, type SshdHandle } from '../support/sshd.ts';
import { makeTempDir, removeDir } from '../support/temp-dir.ts';

/**
 * The whole `access login` story with real parts: `access-server start --dev` (CA and the
 * dev OpenID provider), the `access` CLI, Debian's Chromium completing the IdP's login page,
 * and the real OpenSSH client logging in to a real sshd with the files `access login`
 * wrote: it jumps through the recording gateway `start --dev` runs, and the
 * target trusts only the upstream CA.
 */
const PASSWORD = 'e2e-password';

describe('access login end to end', () => {
  let dir: string;
  let server: DevServer;
  let url: string;
  let browser: Browser;
  let sshd: SshdHandle;
  let sshPort = 0;
  const homes = { alice: '', bob: '', carol: '' };

  beforeAll(async () => {
    dir = makeTempDir('e2e-login');
    for (const name of Object.keys(homes) as Array<keyof typeof homes>) homes[name] = makeTempDir(`e2e-home-${name}`);
    server = await startDevServer(dir, PASSWORD);
    url = server.url;
    sshPort = server.sshPort;
    browser = await launchBrowser();
    await ensureUser('bob');
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await sshd?.stop();
    await server?.stop();
    for (const home of Object.values(homes)) if (home) removeDir(home);
    if (dir) removeDir(dir);
  });

  /** Signs in on the dev IdP's page, as a person would. */
  async function signInAt(page: Page, user: string): Promise<void> {
    await page.getByLabel('Email').fill(user);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  const session = (home: string) => JSON.parse(readFileSync(join(home, '.access', 'session.json'), 'utf8')) as { apiToken: string; principals: string[] };

  it('logs alice in through the browser flow and writes the files with the right modes', async () => {
    const login = startAccess(homes.alice, ['login', '--server', url, '--no-browser', '--no-ssh-config']);
    const line = await login.output.waitFor(/http:\/\/127\.0\.0\.1:\d+\/v1\/login\/\S+/, 60_000);
    const browserUrl = /(http:\/\/127\.0\.0\.1:\d+\/v1\/login\/\S+)/.exec(line)![1]!;
    const page = await browser.newPage();
    await page.goto(browserUrl);
    await signInAt(page, 'alice');
    await page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/callback/, { timeout: 30_000 });
    expect(await login.exited).toBe(0);
    await page.close();

    const home = join(homes.alice, '.access');
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, 'key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'session.json')).mode & 0o777).toBe(0o600);
    const cert = parseCertificate(readFileSync(join(home, 'key-cert.pub'), 'utf8'));
    expect(cert.principals).toEqual(['alice']);
    expect(cert.keyId).toBe('alice@example.com');
    expect(readFileSync(join(home, 'known_hosts'), 'utf8')).toMatch(/^@cert-authority \* ssh-ed25519 /);
  });

  it('lets alice (admin) enroll a target: a host record and a host certificate', async () => {
    const token = session(homes.alice).apiToken;
    const ca = (await (await fetch(`${url}/v1/ca`)).json()) as { upstream: Array<{ publicKey: string }> };
    // Targets trust only the upstream CA: engineers reach them through the gateway, never directly.
    sshd = await startSshd({
      trustedUserCaKeys: ca.upstream.map((k) => `${k.publicKey}\n`).join(''),
      hostCertificate: async (hostPublicKey) => {
        const res = await fetch(`${url}/v1/certs/host`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ publicKey: hostPublicKey, principals: ['web-1'], ttl: '1d' }),
        });
        expect(res.status).toBe(201);
        return ((await res.json()) as { certificate: string }).certificate;
      },
    });
    const added = await access(homes.alice, ['hosts', 'add', 'web-1', '--addr', `127.0.0.1:${sshd.port}`, '--labels', 'env=dev']);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const listed = await access(homes.alice, ['hosts', 'ls', '--json']);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ name: 'web-1', address: `127.0.0.1:${sshd.port}`, labels: { env: 'dev' } })]);
  });

  it('logs bob in headless: the approval page shows his machine and key, and plain ssh through the gateway then works', async () => {
    const login = startAccess(homes.bob, ['login', '--server', url, '--headless', '--no-ssh-config']);
    const line = await login.output.waitFor(/http:\/\/127\.0\.0\.1:\d+\/device\?code=\S+/, 60_000);
    const verificationUrl = /(http:\/\/127\.0\.0\.1:\d+\/device\?code=\S+)/.exec(line)![1]!;
    const page = await browser.newPage();
    await page.goto(verificationUrl);
    await signInAt(page, 'bob@example.com');
    await page.getByRole('button', { name: 'Approve' }).waitFor({ timeout: 30_000 });
    const shown = await page.textContent('body');
    expect(shown).toContain('127.0.0.1');
    const fingerprint = /SHA256:[A-Za-z0-9+/]{43}/.exec(shown ?? '')?.[0];
    expect(fingerprint).toBeDefined();
    await page.getByRole('button', { name: 'Approve' }).click();
    expect(await login.exited).toBe(0);
    await page.close();

    const home = join(homes.bob, '.access');
    const keygen = await run('ssh-keygen', ['-lf', join(home, 'key.pub')]);
    expect(keygen.stdout).toContain(fingerprint!);
    expect(session(homes.bob).principals).toEqual(['bob']);

    const ssh = await run(SSH, ['-F', join(home, 'ssh_config'), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', 'bob@web-1', 'id -un'], { timeoutMs: 30_000 });
    expect(ssh.stderr).not.toMatch(/Permission denied|Host key verification failed/);
    expect(ssh.stdout.trim()).toBe('bob');
    expect(ssh.code).toBe(0);

    // The same certificate straight at the target is refused: only the gateway gets in.
    const direct = await run(SSH, ['-F', '/dev/null', '-i', join(home, 'key'), '-o', `CertificateFile=${join(home, 'key-cert.pub')}`, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-p', String(sshd.port), 'bob@127.0.0.1', 'id -un'], { timeoutMs: 30_000 });
    expect(direct.code).toBe(255);
    expect(direct.stdout).toBe('');
  });

  it('shows alice (admin) bob’s recorded session: listed, and exported as text', async () => {
    let sessions: Array<{ id: string; user: { email: string }; command: string; status: string; exitStatus: number }> = [];
    for (let i = 0; i < 50; i++) {
      const ls = await access(homes.alice, ['sessions', 'ls', '--user', 'bob@example.com', '--json']);
      expect(ls.code).toBe(0);
      sessions = JSON.parse(ls.stdout) as typeof sessions;
      if (sessions[0]?.status === 'ended') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ user: { email: 'bob@example.com' }, command: 'id -un', status: 'ended', exitStatus: 0 });
    const exported = await access(homes.alice, ['sessions', 'export', sessions[0]!.id, '--format', 'text']);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('id -un');
    expect(exported.stdout).toMatch(/^bob$/m);
  });

  it('shows bob who he is and where he may go, then logout leaves nothing usable', async () => {
    const status = await access(homes.bob, ['status', '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ principals: ['bob'], gateway: { host: '127.0.0.1', port: sshPort } });
    const ls = await access(homes.bob, ['ls', '--json']);
    expect(JSON.parse(ls.stdout)).toEqual([expect.objectContaining({ name: 'web-1', logins: ['bob'] })]);

    const token = session(homes.bob).apiToken;
    expect((await access(homes.bob, ['logout'])).code).toBe(0);
    const home = join(homes.bob, '.access');
    for (const name of ['key', 'key-cert.pub', 'session.json']) expect(existsSync(join(home, name))).toBe(false);
    const me = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(401);
    const after = await access(homes.bob, ['status']);
    expect(after.code).toBe(1);
    expect(after.stdout + after.stderr).toMatch(/access login/);
  });

  it('refuses carol a certificate: the auditor role grants no login, and she is told why', async () => {
    const login = startAccess(homes.carol, ['login', '--server', url, '--no-browser', '--no-ssh-config']);
    const line = await login.output.waitFor(/http:\/\/127\.0\.0\.1:\d+\/v1\/login\/\S+/, 60_000);
    const page = await browser.newPage();
    await page.goto(/(http:\/\/127\.0\.0\.1:\d+\/v1\/login\/\S+)/.exec(line)![1]!);
    await signInAt(page, 'carol');
    const code = await login.exited;
    await page.close();
    expect(code).not.toBe(0);
    expect(login.output.text()).toMatch(/ERR_|no login|principal|grant/i);
    expect(existsSync(join(homes.carol, '.access', 'key-cert.pub'))).toBe(false);
  });
});
