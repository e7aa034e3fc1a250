import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { documentedExposure, readDoc, repoPath } from './deploy-files.ts';

const UNITS_DIR = repoPath('deploy/systemd');
const UNITS = ['access-ca.service', 'access-gateway.service'] as const;
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
const scratch = mkdtempSync(join(tmpdir(), 'access-units-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const unitText = (name: string): string => readFileSync(join(UNITS_DIR, name), 'utf8');

/** The directive lines of a unit's [Service] section, as `Key=value` strings. */
function serviceDirectives(text: string): string[] {
  const section = /^\[Service\]$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(text)?.[1] ?? '';
  return section.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

/**
 * A copy of the unit in its own folder (the unit search path for systemd-analyze), with
 * drop-ins beside it. ExecStart names /usr/bin/node; where node lives elsewhere, the copy
 * names this node, so that verify checks a binary that exists.
 */
function stage(name: string, text: string, dropIns: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(scratch, 'unit-'));
  const node = existsSync('/usr/bin/node') ? '/usr/bin/node' : process.execPath;
  writeFileSync(join(dir, name), text.replaceAll('/usr/bin/node', node));
  if (Object.keys(dropIns).length > 0) {
    mkdirSync(join(dir, `${name}.d`));
    for (const [file, body] of Object.entries(dropIns)) writeFileSync(join(dir, `${name}.d`, file), body);
  }
  return dir;
}

function analyze(dir: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('systemd-analyze', args, {
    cwd: dir,
    encoding: 'utf8',
    // `dir:` = this folder, then the default search path; LANG=C keeps the score line ASCII.
    env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:`, LANG: 'C', LC_ALL: 'C', SYSTEMD_COLORS: '0' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `systemd-analyze verify`, failing on any complaint: unknown keys and bad values are only warnings there. */
function verify(dir: string, name: string): string[] {
  const { status, stdout, stderr } = analyze(dir, ['verify', name]);
  const complaints = `${stdout}${stderr}`.split('\n').filter(Boolean);
  return status === 0 ? complaints : [`exit ${status}`, ...complaints];
}

interface SecurityReport {
  exposure: number;
  /** Names (`PrivateNetwork=`) of the checks that still add exposure. */
  open: string[];
}

function security(dir: string, name: string): SecurityReport {
  const text = analyze(dir, ['security', '--offline=true', name]);
  const score = /Overall exposure level for \S+: ([\d.]+)/.exec(text.stdout);
  if (!score) throw new Error(`no exposure score from systemd-analyze:\n${text.stdout}${text.stderr}`);
  const json = analyze(dir, ['security', '--offline=true', '--json=short', name]);
  const items = JSON.parse(json.stdout) as Array<{ set: boolean; name: string; exposure: string | null }>;
  return { exposure: Number(score[1]), open: items.filter((i) => !i.set && Number(i.exposure) > 0).map((i) => i.name) };
}

describe('systemd units', () => {
  it.each(UNITS)('%s runs as its own user, with secrets as credentials and the required hardening', (name) => {
    const directives = serviceDirectives(unitText(name));
    const user = name.replace('.service', '');
    expect(directives).toContain(`User=${user}`);
    for (const required of [
      'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes',
      'CapabilityBoundingSet=', 'AmbientCapabilities=', 'SystemCallFilter=@system-service',
    ]) expect(directives).toContain(required);
    expect(directives.some((d) => d.startsWith('RestrictAddressFamilies='))).toBe(true);
    // No secret in the environment: only credentials.
    expect(directives.filter((d) => /^Environment=.*(SECRET|TOKEN|PASSWORD)=/i.test(d))).toEqual([]);
  });

  it('gives the CA its three keys and the OIDC client secret by LoadCredential=', () => {
    const credentials = serviceDirectives(unitText('access-ca.service')).filter((d) => d.startsWith('LoadCredential=')).map((d) => d.split(/[=:]/)[1]);
    expect(credentials).toEqual(expect.arrayContaining(['user-ca', 'host-ca', 'upstream-ca', 'oidc-client-secret']));
  });

  it('gives the gateway its token by LoadCredential= and no CA key', () => {
    const credentials = serviceDirectives(unitText('access-gateway.service')).filter((d) => d.startsWith('LoadCredential=')).map((d) => d.split(/[=:]/)[1]);
    expect(credentials).toContain('gateway-token');
    expect(credentials.filter((c) => c?.endsWith('-ca'))).toEqual([]);
  });

  it('binds port 22 only through the drop-in, with CAP_NET_BIND_SERVICE alone', () => {
    const dropIn = serviceDirectives(readFileSync(join(UNITS_DIR, 'gateway-port-22.conf'), 'utf8'));
    expect(dropIn).toEqual(expect.arrayContaining([
      'CapabilityBoundingSet=CAP_NET_BIND_SERVICE', 'AmbientCapabilities=CAP_NET_BIND_SERVICE', 'PrivateUsers=no',
    ]));
    expect(serviceDirectives(unitText('access-gateway.service'))).toContain('Environment=ACCESS_SSH_ADDR=0.0.0.0:2222');
  });
});

describe.skipIf(!hasSystemdAnalyze)('systemd-analyze', () => {
  it.each(UNITS)('verify accepts %s without a warning', (name) => {
    expect(verify(stage(name, unitText(name)), name)).toEqual([]);
  });

  it('verify accepts the gateway with the port-22 drop-in', () => {
    const dir = stage('access-gateway.service', unitText('access-gateway.service'), {
      'port-22.conf': readFileSync(join(UNITS_DIR, 'gateway-port-22.conf'), 'utf8'),
    });
    expect(verify(dir, 'access-gateway.service')).toEqual([]);
  });

  it('the check fails on a misspelt directive or a bad value (so a clean verify means something)', () => {
    const text = unitText('access-ca.service');
    const typo = verify(stage('access-ca.service', text.replace('ProtectHome=yes', 'ProtectHom=yes')), 'access-ca.service');
    expect(typo.join('\n')).toMatch(/Unknown key 'ProtectHom'/);
    const badValue = verify(stage('access-ca.service', text.replace('ProtectSystem=strict', 'ProtectSystem=strictly')), 'access-ca.service');
    expect(badValue.join('\n')).toMatch(/strictly/);
    const noBinary = verify(stage('access-ca.service', text.replace('ExecStart=/usr/bin/node', 'ExecStart=/nonexistent/node')), 'access-ca.service');
    expect(noBinary.join('\n')).toMatch(/not executable/);
  });

  const cases: Array<{ label: string; name: string; dropIns?: Record<string, string> }> = [
    { label: 'access-ca.service', name: 'access-ca.service' },
    { label: 'access-gateway.service', name: 'access-gateway.service' },
    { label: 'access-gateway.service + gateway-port-22.conf', name: 'access-gateway.service', dropIns: { 'port-22.conf': readFileSync(join(UNITS_DIR, 'gateway-port-22.conf'), 'utf8') } },
  ];
  it.each(cases)('$label scores no worse than docs/production.md says, and the doc explains every open item', ({ label, name, dropIns }) => {
    const report = security(stage(name, unitText(name), dropIns), name);
    const documented = documentedExposure(label);
    expect(report.exposure).toBeLessThanOrEqual(documented);
    const doc = readDoc('docs/production.md').replaceAll('\\|', '|'); // `|` is escaped in Markdown tables
    expect(report.open.filter((item) => !doc.includes(`\`${item}\``))).toEqual([]);
  });

  it('sysusers.d creates both users and tmpfiles.d the credentials folder, in a scratch root', () => {
    const root = mkdtempSync(join(scratch, 'root-'));
    mkdirSync(join(root, 'etc'));
    const sysusers = spawnSync('systemd-sysusers', [`--root=${root}`, join(UNITS_DIR, 'access.sysusers.conf')], { encoding: 'utf8' });
    expect(sysusers.status, sysusers.stderr).toBe(0);
    const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8');
    expect(passwd).toMatch(/^access-ca:x:\d+:\d+:.*:\/usr\/sbin\/nologin$/m);
    expect(passwd).toMatch(/^access-gateway:x:\d+:\d+:.*:\/usr\/sbin\/nologin$/m);
    const tmpfiles = spawnSync('systemd-tmpfiles', [`--root=${root}`, '--create', join(UNITS_DIR, 'access.tmpfiles.conf')], { encoding: 'utf8' });
    expect(tmpfiles.status, tmpfiles.stderr).toBe(0);
    expect(statSync(join(root, 'etc/access/credentials')).mode & 0o777).toBe(0o700);
  });
});
