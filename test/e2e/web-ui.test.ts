import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCertificate } from '@access/sshcert';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineerEnv, startAccess } from '../support/access-cli.ts';
import { REPO_ROOT } from '../support/access-server.ts';
import { launchBrowser } from '../support/browser.ts';
import { startDevServer, type DevServer } from '../support/dev-server.ts';
import { ensureUser } from '../support/linux-user.ts';
import { LogBuffer } from '../support/log-buffer.ts';
import { run } from '../support/process.ts';
import { SSH } from '../support/ssh-client.ts';
import { startSshd, type SshdHandle } from '../support/sshd.ts';
import { makeTempDir, removeDir } from '../support/temp-dir.ts';

/**
 * The web UI with real parts: `access-server start --dev` (CA, gateway, dev IdP), Debian's
 * Chromium signing in as each demo user, the `access` CLI and OpenSSH through the gateway
 * to a real sshd. Screenshots of every page land in test-output/screenshots/.
 */
const PASSWORD = 'e2e-web-password';
const SHOTS = join(REPO_ROOT, 'test-output', 'screenshots');

describe('the web UI end to end', () => {
  let dir: string;
  let server: DevServer;
  let url: string;
  let browser: Browser;
  let sshd: SshdHandle;
  const homes = { alice: '', bob: '' };
  const contexts: Record<string, BrowserContext> = {};
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dir = makeTempDir('e2e-web');
    for (const name of Object.keys(homes) as Array<keyof typeof homes>) homes[name] = makeTempDir(`e2e-web-home-${name}`);
    server = await startDevServer(dir, PASSWORD);
    url = server.url;
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

  async function signInAt(page: Page, user: string): Promise<void> {
    await page.getByLabel('Email').fill(user);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** A browser of its own per person, signed in to the web UI through the dev IdP. */
  async function webPage(user: string): Promise<Page> {
    contexts[user] ??= await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await contexts[user].newPage();
    page.on('console', (m) => {
      // The one 403 is bob opening an admin page on purpose; the test checks that answer itself.
      if (m.type() === 'error' && !m.text().includes('status of 403')) problems.push(`${user} console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${user} page error: ${e.message}`));
    return page;
  }

  async function signInToUi(user: string): Promise<Page> {
    const page = await webPage(user);
    await page.goto(`${url}/ui`);
    await page.getByRole('link', { name: 'Sign in with your identity provider' }).click();
    await signInAt(page, user);
    await page.waitForURL(`${url}/ui`, { timeout: 30_000 });
    return page;
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  }

  /** `access login` in a fresh browser context (no IdP session), returning the new certificate's principals. */
  async function cliLogin(home: string, user: string): Promise<string[]> {
    const login = startAccess(home, ['login', '--server', url, '--no-browser']);
    const line = await login.output.waitFor(/http:\/\/127\.0\.0\.1:\d+\/v1\/login\/\S+/, 60_000);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(/(http:\/\/127\.0\.0\.1:\d+\/v1\/login\/\S+)/.exec(line)![1]!);
    await signInAt(page, user);
    expect(await login.exited).toBe(0);
    await context.close();
    return parseCertificate(readFileSync(join(home, '.access', 'key-cert.pub'), 'utf8')).principals;
  }

  const sshConfig = () => join(homes.bob, '.access', 'ssh_config');

  it('signs alice (admin) in and lets her add the target host from the Hosts page', async () => {
    await cliLogin(homes.alice, 'alice');
    const token = (JSON.parse(readFileSync(join(homes.alice, '.access', 'session.json'), 'utf8')) as { apiToken: string }).apiToken;
    const ca = (await (await fetch(`${url}/v1/ca`)).json()) as { upstream: Array<{ publicKey: string }> };
    sshd = await startSshd({
      trustedUserCaKeys: ca.upstream.map((k) => `${k.publicKey}\n`).join(''),
      hostCertificate: async (hostPublicKey) => {
        const res = await fetch(`${url}/v1/certs/host`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ publicKey: hostPublicKey, principals: ['web-1'], ttl: '1d' }),
        });
        return ((await res.json()) as { certificate: string }).certificate;
      },
    });
    const page = await signInToUi('alice');
    expect(await page.locator('.who').textContent()).toBe('alice@example.com · admin');
    await shot(page, 'alice-my-access');
    await page.goto(`${url}/ui/hosts`);
    const form = page.locator('form[aria-label="Add a host"]');
    await form.locator('input[name="name"]').fill('web-1');
    await form.locator('input[name="address"]').fill(`127.0.0.1:${sshd.port}`);
    await form.locator('input[name="labels"]').fill('env=dev, team=web');
    await page.getByRole('button', { name: 'Add host' }).click();
    await page.waitForURL(/\/ui\/hosts\/web-1\?done=host-saved$/);
    expect(await page.getByRole('status').textContent()).toBe('The host is saved.');
    await shot(page, 'alice-host');
  }, 120_000);

  it('gives bob the principal of a role alice grants in the UI at his next login, and takes it away when she revokes it', async () => {
    expect(await cliLogin(homes.bob, 'bob')).toEqual(['bob']);
    const alice = await webPage('alice');
    await alice.goto(`${url}/ui/roles/new`);
    await alice.locator('input[name="name"]').fill('web-deploy');
    await alice.locator('input[name="logins"]').fill('deploy');
    await alice.locator('input[name="hostLabels"]').fill('team=web');
    await alice.getByRole('button', { name: 'Preview reach' }).click();
    await alice.getByRole('cell', { name: 'web-1' }).waitFor();
    await shot(alice, 'alice-role-preview');
    await alice.getByRole('button', { name: 'Save' }).click();
    await alice.waitForURL(/\/ui\/roles\/web-deploy\?done=role-saved$/);
    await shot(alice, 'alice-role');

    await alice.goto(`${url}/ui/grants`);
    const grant = alice.locator('form[aria-label="Grant a role"]');
    await grant.locator('input[name="subject"]').fill('bob@example.com');
    await grant.locator('select[name="role"]').selectOption('web-deploy');
    await grant.locator('input[name="expires"]').fill('1d');
    await grant.locator('input[name="reason"]').fill('deploys this week');
    await alice.getByRole('button', { name: 'Grant', exact: true }).click();
    await alice.waitForURL(/\/ui\/grants\?done=grant-added$/);
    await shot(alice, 'alice-grants');
    expect(await cliLogin(homes.bob, 'bob')).toEqual(['bob', 'deploy']);

    await alice.getByRole('button', { name: 'Revoke web-deploy from bob@example.com' }).click();
    await alice.waitForURL(/\/ui\/grants\?done=grant-revoked$/);
    expect(await cliLogin(homes.bob, 'bob')).toEqual(['bob']);
    await alice.goto(`${url}/ui/grants/review`);
    await shot(alice, 'alice-access-review');
  }, 120_000);

  it('replays a recording full of HTML and escape sequences as text, running none of it', async () => {
    const hostile = `printf '<script>window.pwned=1</script><img src=x onerror="window.pwned=2"><b>bold</b> \\033[31mRED\\033[0m \\033]8;;javascript:alert(1)\\033\\\\link\\033]8;;\\033\\\\\\n'`;
    const ssh = await run(SSH, ['-F', sshConfig(), '-tt', '-o', 'BatchMode=yes', 'bob@web-1', hostile], { timeoutMs: 30_000, env: engineerEnv(homes.bob) });
    expect(ssh.code).toBe(0);
    const alice = await webPage('alice');
    await alice.goto(`${url}/ui/sessions?user=bob%40example.com`);
    await shot(alice, 'alice-sessions');
    await alice.getByRole('link', { name: /^ses_/ }).first().click();
    const player = alice.locator('[data-access-player]');
    await player.locator('.access-screen').waitFor();
    await player.getByRole('button', { name: 'Play' }).click();
    await expect.poll(async () => player.locator('.access-screen').textContent(), { timeout: 10_000 }).toContain('<script>window.pwned=1</script>');
    expect(await alice.evaluate('window.pwned')).toBeUndefined();
    expect(await player.locator('script, img, b, a').count()).toBe(0);
    expect((await player.locator('.fg-1').allTextContents()).join('')).toContain('RED');
    await shot(alice, 'alice-replay');
  }, 120_000);

  it('shows bob only his own access and sessions, and refuses him the admin pages', async () => {
    const bob = await signInToUi('bob');
    expect(await bob.locator('.who').textContent()).toBe('bob@example.com · engineer');
    expect(await bob.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual(['My access', 'Sessions']);
    expect(await bob.locator('main').textContent()).toContain('ssh bob@web-1');
    await shot(bob, 'bob-my-access');
    await bob.goto(`${url}/ui/sessions`);
    await shot(bob, 'bob-sessions');
    const response = await bob.goto(`${url}/ui/users`);
    expect(response?.status()).toBe(403);
    await shot(bob, 'bob-forbidden');
  }, 120_000);

  it('lets carol (auditor) read every page but change nothing: every form she posts is refused', async () => {
    const carol = await signInToUi('carol');
    expect(await carol.locator('.who').textContent()).toBe('carol@example.com · auditor');
    for (const [path, name] of [
      ['/ui/sessions', 'sessions'],
      ['/ui/hosts', 'hosts'],
      ['/ui/hosts/web-1', 'host'],
      ['/ui/roles', 'roles'],
      ['/ui/roles/web-deploy', 'role'],
      ['/ui/grants', 'grants'],
      ['/ui/grants/review', 'access-review'],
      ['/ui/users', 'users'],
      ['/ui/audit', 'audit'],
    ] as const) {
      const response = await carol.goto(`${url}${path}`);
      expect(response?.status(), path).toBe(200);
      expect(await carol.locator('form[method="post"]:not(.signout)').count(), path).toBe(0);
      await shot(carol, `carol-${name}`);
    }
    await carol.locator('details.event summary').first().click();
    await shot(carol, 'carol-audit-expanded');
    const csrf = await carol.locator('form.signout input[name="_csrf"]').getAttribute('value');
    const users = await (await fetch(`${url}/v1/users`, { headers: { authorization: `Bearer ${(JSON.parse(readFileSync(join(homes.alice, '.access', 'session.json'), 'utf8')) as { apiToken: string }).apiToken}` } })).json() as Array<{ id: string; email: string }>;
    const bobId = users.find((u) => u.email === 'bob@example.com')!.id;
    for (const path of ['/ui/hosts', '/ui/hosts/web-1', '/ui/hosts/web-1/delete', '/ui/roles', '/ui/roles/web-deploy', '/ui/roles/web-deploy/delete', '/ui/grants', `/ui/users/${bobId}/lock`]) {
      const response = await carol.request.post(`${url}${path}`, { form: { _csrf: csrf!, name: 'x', address: '10.0.0.9:22', reason: 'r', role: 'admin', subject: 'carol@example.com', maxTtl: '1h' } });
      expect(response.status(), path).toBe(403);
    }
    const roles = await (await carol.request.get(`${url}/ui/roles`)).text();
    expect(roles).toContain('web-deploy');
    // bob's sessions through the gateway count as the host's last session.
    expect(await (await carol.request.get(`${url}/ui/hosts/web-1`)).text()).toMatch(/<dt>Last session<\/dt><dd>20\d\d-\d\d-\d\d /);
  }, 120_000);

  it('follows bob’s live session in the live view, and alice’s lock ends it there and in his terminal', async () => {
    const counter = 'echo LIVE-START; i=0; while [ $i -lt 600 ]; do i=$((i+1)); echo tick-$i; sleep 0.2; done';
    const child = spawn(SSH, ['-F', sshConfig(), '-tt', '-o', 'BatchMode=yes', 'bob@web-1', counter], { env: engineerEnv(homes.bob), stdio: ['pipe', 'pipe', 'pipe'] });
    const out = new LogBuffer();
    out.attach(child.stdout!);
    out.attach(child.stderr!);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await out.waitFor(/tick-3/, 30_000);
      const alice = await webPage('alice');
      await alice.goto(`${url}/ui/sessions?status=live`);
      await alice.getByRole('link', { name: /^ses_/ }).first().click();
      const player = alice.locator('[data-access-player]');
      await expect.poll(async () => player.getAttribute('data-state'), { timeout: 10_000 }).toBe('live');
      // Following: the screen shows a tick that bob's terminal printed after the page opened.
      const seenBefore = Number(/tick-(\d+)/g.exec(out.text().split('\n').reverse().join('\n'))?.[1] ?? 0);
      await expect.poll(async () => Math.max(0, ...[...((await player.locator('.access-screen').textContent()) ?? '').matchAll(/tick-(\d+)/g)].map((m) => Number(m[1]))), { timeout: 5_000 }).toBeGreaterThan(seenBefore + 2);
      await shot(alice, 'alice-live-view');

      const lockPage = await webPage('alice');
      await lockPage.goto(`${url}/ui/users`);
      await lockPage.getByRole('link', { name: 'bob@example.com' }).click();
      await shot(lockPage, 'alice-user');
      await lockPage.locator('form[aria-label="Lock"] input[name="reason"]').fill('laptop stolen');
      await lockPage.getByRole('button', { name: 'Lock bob@example.com' }).click();
      await lockPage.waitForURL(/done=user-locked$/);
      expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))])).not.toBe('still running');
      await expect.poll(async () => player.getAttribute('data-state'), { timeout: 10_000 }).toBe('ended');
      await shot(alice, 'alice-live-view-ended');
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);

  it('left no script error or CSP violation on any page', () => {
    expect(problems).toEqual([]);
  });
});
