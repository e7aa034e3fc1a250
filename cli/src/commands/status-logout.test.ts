import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatCertificate, generateCaKey, parsePublicKey, signCertificate } from '@access/sshcert';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newLoginKey } from '../login/keypair.ts';
import { startFakeCa, type FakeCa } from '../testing/fake-ca.ts';
import { access, makeHome, testIo } from '../testing/test-io.ts';

// Against the fake of API-CONTRACT.md (testing/fake-ca.ts); the real CA's endpoints are being built alongside.
describe('access status and access logout', () => {
  let ca: FakeCa;
  let home: string;
  const dir = () => join(home, '.access');
  const loggedIn = async () => expect(await access(testIo(home), ['login', '--server', ca.url, '--headless', '--no-ssh-config'])).toBe(0);
  beforeAll(async () => (ca = await startFakeCa()));
  afterAll(() => ca.close());
  beforeEach(() => (home = makeHome()));
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('status shows who, logins, roles and time left, offline, from the files', async () => {
    await loggedIn();
    const io = testIo(home);
    io.fetch = () => Promise.reject(new Error('status must not use the network'));
    expect(await access(io, ['status'])).toBe(0);
    expect(io.out()).toMatch(/Signed in as alice@example.com at http:\/\/127\.0\.0\.1:\d+\n {2}logins: +alice\n {2}roles: +engineer\n {2}valid until: \S+ \(7h59m left\)/);
    // Where ProxyJump goes, for a plain `ssh -J`.
    expect(io.out()).toMatch(/\n {2}gateway: +\S+:\d+ +\(ssh -J \S+:\d+ LOGIN@HOST\)\n/);
    const json = testIo(home);
    expect(await access(json, ['status', '--json'])).toBe(0);
    const view = JSON.parse(json.out()) as Record<string, unknown>;
    expect(view).toMatchObject({ principals: ['alice'], roles: ['engineer'], expired: false, keyId: 'alice@example.com' });
    expect(json.out()).not.toContain(JSON.parse(readFileSync(join(dir(), 'session.json'), 'utf8')).apiToken);
  });

  it('status says an expired certificate has expired and to run access login (exit 1)', async () => {
    const key = newLoginKey();
    const userCa = generateCaKey('user-ca').signer;
    const now = Math.floor(Date.now() / 1000);
    const cert = signCertificate(
      { type: 'user', publicKey: parsePublicKey(key.publicKeyLine), serial: 1n, keyId: 'alice@example.com', principals: ['alice'], validAfter: BigInt(now - 7200), validBefore: BigInt(now - 3600), criticalOptions: {}, extensions: [] },
      userCa,
    );
    mkdirSync(dir(), { recursive: true, mode: 0o700 });
    writeFileSync(join(dir(), 'key-cert.pub'), `${formatCertificate(cert)}\n`);
    const io = testIo(home);
    expect(await access(io, ['status'])).toBe(1);
    expect(io.out()).toMatch(/valid until: \S+ \(expired\)/);
    expect(io.err()).toMatch(/error: your certificate expired at \S+; run "access login" to renew/);
  });

  it('status without a login says to run access login (exit 1)', async () => {
    const io = testIo(home);
    expect(await access(io, ['status'])).toBe(1);
    expect(io.err()).toMatch(/not logged in: run "access login --server URL"/);
  });

  it('logout revokes the API token, empties the agent and leaves no key, certificate or session', async () => {
    await loggedIn();
    const token = JSON.parse(readFileSync(join(dir(), 'session.json'), 'utf8')).apiToken as string;
    expect(ca.tokens.has(token)).toBe(true);
    const io = testIo(home, { env: { SSH_AUTH_SOCK: '/tmp/agent.sock' } });
    expect(await access(io, ['logout'])).toBe(0);
    expect(ca.tokens.has(token)).toBe(false);
    expect(io.ran).toEqual([{ file: 'ssh-add', args: ['-q', '-d', join(dir(), 'key')] }]);
    expect(readdirSync(dir())).toEqual([]);
    const after = testIo(home);
    expect(await access(after, ['status'])).toBe(1);
    expect(after.err()).toMatch(/access login/);
  });

  it('logout works offline: it warns that the token could not be revoked and still removes everything', async () => {
    await loggedIn();
    writeFileSync(join(dir(), 'key.tmp-abc123'), 'half-written key');
    const io = testIo(home);
    io.fetch = () => Promise.reject(new TypeError('fetch failed', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) }));
    expect(await access(io, ['logout'])).toBe(0);
    expect(io.err()).toMatch(/warning: could not revoke the API token on the server \(the access server is unreachable at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    for (const f of ['key', 'key.pub', 'key-cert.pub', 'session.json', 'ssh_config', 'known_hosts', 'key.tmp-abc123']) expect(existsSync(join(dir(), f))).toBe(false);
  });
});
