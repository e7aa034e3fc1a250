import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accessHome } from '../home/access-home.ts';
import { makeHome } from '../testing/test-io.ts';
import { addInclude, hasInclude } from './include-line.ts';
import { renderSshConfig, splitAddress } from './ssh-config.ts';

const home = accessHome({ ACCESS_HOME: '/home/alice/.access' });
const hosts = [
  { name: 'web-2', address: '10.0.0.2', labels: { env: 'dev' }, logins: ['alice', 'deploy'] },
  { name: 'web-1', address: '10.0.0.1:2222', labels: { env: 'dev' }, logins: ['alice'] },
];

describe('ssh_config', () => {
  it('has a block per host asking the gateway for it by name, with the access key, certificate and known_hosts', () => {
    const text = renderSshConfig({ home, hosts, gateway: { host: 'gw.example.com', port: 2022 }, direct: false });
    expect(text).toContain(`Host web-1
  HostName web-1
  HostKeyAlias web-1
  User alice
  ProxyJump gw.example.com:2022
  CertificateFile /home/alice/.access/key-cert.pub
  IdentityFile /home/alice/.access/key
  IdentitiesOnly yes
  UserKnownHostsFile /home/alice/.access/known_hosts
`);
    expect(text).toContain('Host web-2\n  HostName web-2\n  HostKeyAlias web-2\n  ProxyJump gw.example.com:2022\n');
    expect(text).not.toContain('10.0.0.');
    expect(text.indexOf('Host web-1')).toBeLessThan(text.indexOf('Host web-2'));
    // the jump itself authenticates with the same certificate and trusts the same host CA
    expect(text).toMatch(/Host gw\.example\.com\n {2}CertificateFile \/home\/alice\/\.access\/key-cert\.pub\n[\s\S]*UserKnownHostsFile/);
    expect(text).not.toMatch(/^Host \*$/m);
  });

  it('dials direct targets by address and port, without ProxyJump or the gateway block', () => {
    const text = renderSshConfig({ home, hosts, gateway: { host: 'gw.example.com', port: 2022 }, direct: true });
    expect(text).toContain('Host web-1\n  HostName 10.0.0.1\n  Port 2222\n  HostKeyAlias web-1\n');
    expect(text).not.toContain('ProxyJump');
    expect(text).not.toContain('gw.example.com');
  });

  it('never lets a host name or address from the server become ssh_config syntax', () => {
    const evil = [{ name: 'x\n  ProxyCommand touch /tmp/pwned', address: '10.0.0.3', labels: {}, logins: [] }];
    const text = renderSshConfig({ home, hosts: evil, gateway: { host: 'gw', port: 22 }, direct: true });
    expect(text).not.toMatch(/^\s*ProxyCommand/m);
    expect(text).toContain('# skipped a host');
    expect(() => renderSshConfig({ home, hosts, gateway: { host: 'gw\nProxyCommand x', port: 22 }, direct: false })).toThrow(/cannot go in an ssh_config/);
  });

  it('splits addresses: host:port, bare host, [ipv6]:port, bare ipv6', () => {
    expect(splitAddress('web:2200')).toEqual({ host: 'web', port: 2200 });
    expect(splitAddress('web')).toEqual({ host: 'web', port: 22 });
    expect(splitAddress('[::1]:2222')).toEqual({ host: '::1', port: 2222 });
    expect(splitAddress('fd00::5')).toEqual({ host: 'fd00::5', port: 22 });
  });
});

describe('the ~/.ssh/config Include line', () => {
  let userHome: string;
  const config = () => join(userHome, '.ssh', 'config');
  beforeEach(() => (userHome = makeHome()));
  afterEach(() => rmSync(userHome, { recursive: true, force: true }));

  it('creates ~/.ssh (0700) and config (0600) when absent, and adds the line only once', () => {
    expect(addInclude(userHome, '/h/.access/ssh_config')).toBe(true);
    expect(addInclude(userHome, '/h/.access/ssh_config')).toBe(false);
    expect(readFileSync(config(), 'utf8')).toBe('Include /h/.access/ssh_config\n');
    expect(statSync(join(userHome, '.ssh')).mode & 0o777).toBe(0o700);
    expect(statSync(config()).mode & 0o777).toBe(0o600);
  });

  it('goes above the first Host block of an existing config, keeping the rest as it was', () => {
    mkdirSync(join(userHome, '.ssh'));
    writeFileSync(config(), 'Host github.com\n  User git\n');
    addInclude(userHome, '/h/.access/ssh_config');
    const text = readFileSync(config(), 'utf8');
    expect(text.indexOf('Include /h/.access/ssh_config')).toBeLessThan(text.indexOf('Host github.com'));
    expect(text.endsWith('Host github.com\n  User git\n')).toBe(true);
  });

  it('recognises the line however it is spelled', () => {
    for (const line of ['Include /h/.access/ssh_config', '  include "/h/.access/ssh_config"', 'INCLUDE=/h/.access/ssh_config', 'Include ~/.x /h/.access/ssh_config']) {
      expect(hasInclude(`Host a\n${line}\n`, '/h/.access/ssh_config')).toBe(true);
    }
    expect(hasInclude('# Include /h/.access/ssh_config\n', '/h/.access/ssh_config')).toBe(false);
  });
});
