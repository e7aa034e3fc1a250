import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprint, parseCertificate, parsePublicKey } from '@access/sshcert';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeCa, type FakeCa } from '../testing/fake-ca.ts';
import { access, makeHome, testIo, type TestIo } from '../testing/test-io.ts';

// The CA side is a fake of API-CONTRACT.md (testing/fake-ca.ts): the real endpoints are being
// built alongside; test/e2e/login.test.ts drives this same CLI against the real CA and IdP.

const URL_LINE = /^(http:\/\/127\.0\.0\.1:\d+\/v1\/login\/\S+)$/m;

/** Plays the browser: follows the CA's redirect to the CLI's loopback listener and returns that page. */
async function playBrowser(io: TestIo): Promise<{ callback: string; page: Response }> {
  const browserUrl = (await io.waitForErr(URL_LINE))[1]!;
  const toCa = await fetch(browserUrl, { redirect: 'manual' });
  const callback = toCa.headers.get('location')!;
  return { callback, page: await fetch(callback) };
}

async function login(ca: FakeCa, io: TestIo, extra: string[] = []) {
  const exit = access(io, ['login', '--server', ca.url, '--no-ssh-config', ...extra]);
  const browser = await playBrowser(io);
  return { code: await exit, ...browser };
}

describe('access login (browser)', () => {
  let ca: FakeCa;
  let home: string;
  const dir = () => join(home, '.access');
  beforeAll(async () => (ca = await startFakeCa()));
  afterAll(() => ca.close());
  beforeEach(() => {
    home = makeHome();
    ca.settings.refuse = null;
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('signs in through the loopback callback and writes key, certificate and session with private modes', async () => {
    const io = testIo(home);
    const { code, page, callback } = await login(ca, io);
    expect(code).toBe(0);
    expect(callback).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\?login=lgn_/);
    expect(page.status).toBe(200);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await page.text()).toContain('Signed in; you can close this window');

    expect(io.launched).toEqual([{ file: 'xdg-open', args: [expect.stringMatching(/\/v1\/login\/lgn_\w+\/browser$/)] }]);
    expect(statSync(dir()).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir(), 'key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir(), 'session.json')).mode & 0o777).toBe(0o600);
    const cert = parseCertificate(readFileSync(join(dir(), 'key-cert.pub'), 'utf8'));
    const pub = parsePublicKey(readFileSync(join(dir(), 'key.pub'), 'utf8'));
    expect(cert.publicKey.blob.equals(pub.blob)).toBe(true);
    expect(cert.principals).toEqual(['alice']);
    expect(readFileSync(join(dir(), 'known_hosts'), 'utf8')).toMatch(/^@cert-authority \* ssh-ed25519 AAAA\S+ access host CA\n$/);
    expect(readFileSync(join(dir(), 'key'), 'utf8')).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    expect(io.out()).toMatch(/Signed in as Alice Example <alice@example.com>[\s\S]*logins: +alice[\s\S]*valid until: \S+ \(7h59m left\)/);
    expect(io.ran).toEqual([]); // no SSH_AUTH_SOCK: the agent is left alone
    // OpenSSH itself reads the private key and the certificate beside it.
    expect(execFileSync('ssh-keygen', ['-y', '-f', join(dir(), 'key')]).toString().split(' ')[1]).toBe(readFileSync(join(dir(), 'key.pub'), 'utf8').split(' ')[1]);
    expect(execFileSync('ssh-keygen', ['-L', '-f', join(dir(), 'key-cert.pub')]).toString()).toMatch(/Principals: \n\s+alice/);
  });

  it('replaces the key files at a second login: a new fingerprint, no leftovers', async () => {
    expect((await login(ca, testIo(home), ['--no-browser'])).code).toBe(0);
    const first = fingerprint(parsePublicKey(readFileSync(join(dir(), 'key.pub'), 'utf8')).blob);
    const firstToken = JSON.parse(readFileSync(join(dir(), 'session.json'), 'utf8')).apiToken as string;
    const io = testIo(home);
    expect((await login(ca, io, ['--no-browser'])).code).toBe(0);
    expect(io.launched).toEqual([]);
    const second = fingerprint(parsePublicKey(readFileSync(join(dir(), 'key.pub'), 'utf8')).blob);
    expect(second).not.toBe(first);
    expect(fingerprint(parseCertificate(readFileSync(join(dir(), 'key-cert.pub'), 'utf8')).publicKey.blob)).toBe(second);
    expect(JSON.parse(readFileSync(join(dir(), 'session.json'), 'utf8')).apiToken).not.toBe(firstToken);
    expect(readdirSync(dir()).sort()).toEqual(['key', 'key-cert.pub', 'key.pub', 'known_hosts', 'session.json', 'ssh_config']);
  });

  it('remembers the server: a second login needs no --server', async () => {
    expect((await login(ca, testIo(home))).code).toBe(0);
    const io = testIo(home);
    const exit = access(io, ['login', '--no-ssh-config']);
    await playBrowser(io);
    expect(await exit).toBe(0);
  });

  it('loads the key into ssh-agent for the certificate lifetime when an agent runs', async () => {
    const io = testIo(home, { env: { SSH_AUTH_SOCK: '/tmp/agent.sock' } });
    expect((await login(ca, io)).code).toBe(0);
    expect(io.ran).toHaveLength(1);
    const [flag, ttl, key] = io.ran[0]!.args.slice(1);
    expect([io.ran[0]!.file, flag, key]).toEqual(['ssh-add', '-t', join(dir(), 'key')]);
    expect(Number(ttl)).toBeGreaterThan(8 * 3600 - 30);
    expect(Number(ttl)).toBeLessThanOrEqual(8 * 3600);
  });

  it('ends with the server\'s reason when the sign-in is refused, shows it escaped, and writes no certificate', async () => {
    ca.settings.refuse = { error: 'ERR_NO_GRANTS', message: 'you hold no grant <script>alert(1)</script>' };
    const io = testIo(home);
    const { code, page } = await login(ca, io);
    expect(code).toBe(1);
    expect(io.err()).toMatch(/error: sign-in refused: you hold no grant <script>alert\(1\)<\/script> \(ERR_NO_GRANTS\)/);
    const html = await page.text();
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(existsSync(join(dir(), 'key-cert.pub'))).toBe(false);
  });

  it('refuses a callback for another login and keeps waiting for its own', async () => {
    const io = testIo(home);
    const exit = access(io, ['login', '--server', ca.url, '--no-ssh-config', '--no-browser']);
    const browserUrl = (await io.waitForErr(URL_LINE))[1]!;
    const location = new URL((await fetch(browserUrl, { redirect: 'manual' })).headers.get('location')!);
    const forged = new URL(location);
    forged.searchParams.set('login', 'lgn_someone_else');
    const wrong = await fetch(forged);
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('different sign-in');
    expect((await fetch(location)).status).toBe(200);
    expect(await exit).toBe(0);
  });

  it('gives up after --timeout with a next step', async () => {
    const io = testIo(home);
    const code = await access(io, ['login', '--server', ca.url, '--no-browser', '--timeout', '1s']);
    expect(code).toBe(1);
    expect(io.err()).toMatch(/no sign-in arrived within 1s; run "access login" again/);
  });

  it('--json prints the result without the private key or the API token', async () => {
    const io = testIo(home);
    expect((await login(ca, io, ['--json'])).code).toBe(0);
    const printed = JSON.parse(io.out()) as Record<string, unknown>;
    expect(printed).toMatchObject({ principals: ['alice'], user: { email: 'alice@example.com' }, gateway: { host: 'gw.example.test', port: 2022 } });
    const session = JSON.parse(readFileSync(join(dir(), 'session.json'), 'utf8')) as { apiToken: string };
    const keyBody = readFileSync(join(dir(), 'key'), 'utf8').split('\n')[1]!;
    for (const text of [io.out(), io.err()]) {
      expect(text).not.toContain(session.apiToken);
      expect(text).not.toContain(keyBody);
      expect(text).not.toContain('PRIVATE KEY');
    }
  });

  it('says to pass --server when no server is known', async () => {
    const io = testIo(home);
    expect(await access(io, ['login'])).toBe(1);
    expect(io.err()).toMatch(/pass --server URL/);
  });
});
