import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseCertificate } from '@access/sshcert';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeCa, type FakeCa } from '../testing/fake-ca.ts';
import { access, makeHome, testIo } from '../testing/test-io.ts';

// Against the fake of API-CONTRACT.md (testing/fake-ca.ts); the real CA's endpoints are being built alongside.
describe('access login --headless', () => {
  let ca: FakeCa;
  let home: string;
  beforeAll(async () => (ca = await startFakeCa()));
  afterAll(() => ca.close());
  beforeEach(() => {
    home = makeHome();
    ca.settings.pendingPolls = 0;
    ca.settings.slowDowns = 0;
    ca.settings.pollError = null;
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('prints the verification URL on a line of its own, polls through 202 until 200, and saves the certificate', async () => {
    ca.settings.pendingPolls = 3;
    const io = testIo(home);
    const code = await access(io, ['login', '--server', ca.url, '--headless', '--no-ssh-config']);
    expect(io.err()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/device\?code=BCDF-GHJK$/m);
    expect(io.err()).toMatch(/the code BCDF-GHJK and this key: SHA256:\S{43}/);
    expect(code).toBe(0);
    const polls = ca.requests.filter((r) => r.endsWith('/poll'));
    expect(polls).toHaveLength(4);
    expect(io.slept).toEqual([1000, 1000, 1000, 1000]);
    expect(io.launched).toEqual([]);
    expect(parseCertificate(readFileSync(join(home, '.access', 'key-cert.pub'), 'utf8')).principals).toEqual(['alice']);
    ca.requests.length = 0;
  });

  it('slows down by five seconds on every 429 ERR_SLOW_DOWN', async () => {
    ca.settings.slowDowns = 2;
    const io = testIo(home);
    expect(await access(io, ['login', '--server', ca.url, '--headless', '--no-ssh-config'])).toBe(0);
    expect(io.slept).toEqual([1000, 6000, 11_000]);
  });

  it('stops with the server\'s message when the login is denied', async () => {
    ca.settings.pollError = { status: 403, code: 'ERR_LOGIN_DENIED', message: 'the login was refused (ERR_NO_GRANTS): alice@example.com holds no active grant' };
    const io = testIo(home);
    expect(await access(io, ['login', '--server', ca.url, '--headless', '--no-ssh-config'])).toBe(1);
    expect(io.err()).toMatch(/error: the login was refused \(ERR_NO_GRANTS\): alice@example.com holds no active grant \(ERR_LOGIN_DENIED, HTTP 403\)\n$/);
    expect(existsSync(join(home, '.access', 'key'))).toBe(false);
  });

  it('gives up when no approval comes before --timeout', async () => {
    ca.settings.pendingPolls = 1_000_000;
    const io = testIo(home);
    let now = Date.now();
    io.now = () => new Date(now);
    io.sleep = async (ms) => {
      io.slept.push(ms);
      now += ms;
    };
    expect(await access(io, ['login', '--server', ca.url, '--headless', '--timeout', '10s'])).toBe(1);
    expect(io.slept).toHaveLength(10);
    expect(io.err()).toMatch(/not approved in time; run "access login --headless" again/);
  });
});
