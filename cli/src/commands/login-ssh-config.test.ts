import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeCa, type FakeCa } from '../testing/fake-ca.ts';
import { access, makeHome, testIo } from '../testing/test-io.ts';

// Against the fake of API-CONTRACT.md (testing/fake-ca.ts); the real CA's endpoints are being built alongside.
describe('login writes ssh_config and offers the ~/.ssh/config Include', () => {
  let ca: FakeCa;
  let home: string;
  const login = ['login', '--headless'];
  const include = () => `Include ${join(home, '.access', 'ssh_config')}`;
  const userConfig = () => join(home, '.ssh', 'config');
  beforeAll(async () => {
    ca = await startFakeCa();
    ca.settings.hosts = [{ name: 'web-1', address: '10.0.0.1:22', labels: { env: 'dev' }, logins: ['alice'] }];
  });
  afterAll(() => ca.close());
  beforeEach(() => (home = makeHome()));
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('writes ssh_config from GET /v1/me/hosts, with ProxyJump unless --direct or ACCESS_DIRECT=1', async () => {
    const io = testIo(home);
    expect(await access(io, [...login, '--server', ca.url, '--no-ssh-config'])).toBe(0);
    const config = readFileSync(join(home, '.access', 'ssh_config'), 'utf8');
    expect(config).toContain('Host web-1\n  HostName web-1\n  HostKeyAlias web-1\n  User alice\n  ProxyJump gw.example.test:2022\n');
    expect(io.out()).toContain('Next: ssh alice@web-1');

    expect(await access(testIo(home, { env: { ACCESS_DIRECT: '1' } }), [...login, '--no-ssh-config'])).toBe(0);
    expect(readFileSync(join(home, '.access', 'ssh_config'), 'utf8')).not.toContain('ProxyJump');
    // access config keeps the login's choice and prints what it wrote
    const printed = testIo(home);
    expect(await access(printed, ['config'])).toBe(0);
    expect(printed.out()).toBe(readFileSync(join(home, '.access', 'ssh_config'), 'utf8'));
    expect(printed.out()).not.toContain('ProxyJump');
  });

  it('asks once at a terminal, adds the line on yes, and is idempotent', async () => {
    const io = testIo(home, { tty: true, answers: ['y'] });
    expect(await access(io, [...login, '--server', ca.url])).toBe(0);
    expect(io.asked).toHaveLength(1);
    expect(io.asked[0]).toContain(include());
    expect(readFileSync(userConfig(), 'utf8')).toBe(`${include()}\n`);
    const again = testIo(home, { tty: true, answers: ['y'] });
    expect(await access(again, login)).toBe(0);
    expect(again.asked).toEqual([]);
    expect(readFileSync(userConfig(), 'utf8')).toBe(`${include()}\n`);
  });

  it('remembers a no and does not ask again', async () => {
    const io = testIo(home, { tty: true, answers: ['n'] });
    expect(await access(io, [...login, '--server', ca.url])).toBe(0);
    expect(existsSync(userConfig())).toBe(false);
    const again = testIo(home, { tty: true, answers: ['y'] });
    expect(await access(again, login)).toBe(0);
    expect(again.asked).toEqual([]);
    expect(again.err()).toContain(`  ${include()}`);
    expect(existsSync(userConfig())).toBe(false);
  });

  it('without a terminal, leaves ~/.ssh/config alone and prints the line to add', async () => {
    const io = testIo(home);
    expect(await access(io, [...login, '--server', ca.url])).toBe(0);
    expect(io.asked).toEqual([]);
    expect(io.err()).toMatch(new RegExp(`add this line at the top of \\S+/\\.ssh/config:\\n {2}${include().replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\n`));
    expect(existsSync(userConfig())).toBe(false);
  });

  it('--no-ssh-config neither asks nor prints', async () => {
    const io = testIo(home, { tty: true, answers: ['y'] });
    expect(await access(io, [...login, '--server', ca.url, '--no-ssh-config'])).toBe(0);
    expect(io.asked).toEqual([]);
    expect(io.err()).not.toContain('Include');
  });

  it('an auditor (roles without logins) keeps an API session but gets no certificate, and is told why (exit 1)', async () => {
    ca.settings.principals = [];
    ca.settings.roles = ['auditor'];
    try {
      const io = testIo(home);
      expect(await access(io, [...login, '--server', ca.url])).toBe(1);
      expect(io.err()).toMatch(/no SSH certificate: your roles \(auditor\) grant no login on any host/);
      expect(existsSync(join(home, '.access', 'key-cert.pub'))).toBe(false);
      expect(existsSync(join(home, '.access', 'key'))).toBe(false);
      expect(existsSync(join(home, '.access', 'session.json'))).toBe(true);
      const status = testIo(home);
      expect(await access(status, ['status'])).toBe(0);
      expect(status.out()).toContain('no SSH certificate: your roles grant no login');
    } finally {
      ca.settings.principals = ['alice'];
      ca.settings.roles = ['engineer'];
    }
  });
});
