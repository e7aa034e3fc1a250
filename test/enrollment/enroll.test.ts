import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { access } from '../support/access-cli.ts';
import { getFreePort } from '../support/free-port.ts';
import { run, runOk } from '../support/process.ts';
import { SSH } from '../support/ssh-client.ts';
import { startGatewayStack, type Engineer, type GatewayStack } from '../support/gateway-stack.ts';
import { makeTempDir, removeDir } from '../support/temp-dir.ts';
import { hashTree, runScript, seedRoot, startJunkServer, startRootSshd, type RootSshd } from './enroll-fixture.ts';

const ADDRESS = '127.0.0.23';

describe('server enrollment with the served script', () => {
  let stack: GatewayStack;
  let alice: Engineer;
  let adminToken: string;
  let script: string;
  let sshd: RootSshd | null = null;
  const dirs: string[] = [];
  const tempDir = (prefix: string) => {
    const dir = makeTempDir(prefix);
    dirs.push(dir);
    return dir;
  };

  const api = async (path: string, body: unknown) => {
    const response = await fetch(`${stack.server.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const newToken = async (body: Record<string, unknown> = {}) => {
    const r = await api('/v1/hosts/tokens', { labels: { env: 'test' }, ttl: '1h', ...body });
    expect(r.status).toBe(201);
    return r.body['token'] as string;
  };
  const hostNames = async () => (await stack.server.services.identity.hosts.list()).map((h) => h.name);
  const auditTypes = async () => (await stack.server.services.database.db.selectFrom('audit_events').select(['type', 'details']).orderBy('seq').execute());

  beforeAll(async () => {
    stack = await startGatewayStack();
    alice = await stack.addEngineer('alice@example.com', ['enralice']);
    adminToken = (await stack.server.services.tokens.create({ role: 'admin', description: 'enrollment test' }, { kind: 'cli', id: 'enroll-test' })).token;
    const served = await fetch(`${stack.server.url}/enroll.sh`);
    expect(served.status).toBe(200);
    script = join(tempDir('enroll-script'), 'access-enroll.sh');
    writeFileSync(script, await served.text());
  }, 120_000);

  afterAll(async () => {
    await sshd?.stop();
    await stack?.stop();
    for (const d of dirs) removeDir(d);
  });

  const baseArgs = (root: string) => ['--ca', stack.server.url, '--root', root, '--no-reload'];

  it('serves a POSIX sh script that dash parses', async () => {
    expect(readFileSync(script, 'utf8')).toMatch(/^#!\/bin\/sh\n/);
    const parsed = await run('dash', ['-n', script]);
    expect(parsed.code).toBe(0);
  });

  let root: string;
  let before: string;
  let token: string;
  let port: number;

  it('--dry-run prints the changes, changes nothing and leaves the token unused', { timeout: 60_000 }, async () => {
    root = tempDir('enroll-root');
    await seedRoot(root, { include: false });
    before = hashTree(root);
    const cli = await access(tempDir('enroll-cli'), ['hosts', 'token', '--labels', 'env=test', '--ttl', '1h', '--json'], { ACCESS_TOKEN: adminToken, ACCESS_SERVER: stack.server.url });
    expect(cli.stderr).toBe('');
    const created = JSON.parse(cli.stdout) as { token: string; command: string; labels: Record<string, string> };
    expect(created.labels).toEqual({ env: 'test' });
    expect(created.command).toBe(`curl -fsS ${stack.server.services.config.publicUrl}/enroll.sh | sh -s -- --token ${created.token}`);
    token = created.token;
    port = await getFreePort();
    const r = await runScript(script, [...baseArgs(root), '--token', token, '--name', 'enr-1', '--address', `${ADDRESS}:${port}`, '--dry-run']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`the CA would register enr-1 at ${ADDRESS}:${port} with labels env=test`);
    expect(r.stdout).toContain(`would create ${root}/etc/ssh/sshd_config.d/50-access.conf`);
    expect(r.stdout).toContain(`would change ${root}/etc/ssh/sshd_config`);
    expect(r.stdout).toContain('PasswordAuthentication no');
    expect(hashTree(root)).toBe(before);
    expect(await hostNames()).not.toContain('enr-1');
  });

  it('enrolls a real sshd that an engineer then reaches through the gateway', { timeout: 90_000 }, async () => {
    const r = await runScript(script, [...baseArgs(root), '--token', token, '--name', 'enr-1', '--address', `${ADDRESS}:${port}`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const dropIn = readFileSync(join(root, 'etc/ssh/sshd_config.d/50-access.conf'), 'utf8');
    for (const line of ['PermitRootLogin no', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'AuthorizedPrincipalsFile none', `RevokedKeys ${root}/etc/ssh/access/revoked_keys`]) {
      expect(dropIn).toContain(line);
    }
    expect(readFileSync(join(root, 'etc/ssh/sshd_config'), 'utf8')).toMatch(new RegExp(`^Include ${root}/etc/ssh/sshd_config.d/\\*\\.conf\n`));
    const upstream = (await stack.server.services.keyring.published()).filter((k) => k.kind === 'upstream').map((k) => `${k.publicKey}\n`).join('');
    expect(readFileSync(join(root, 'etc/ssh/access/trusted_user_ca_keys'), 'utf8')).toBe(upstream);
    expect(readFileSync(join(root, 'etc/cron.d/access-ssh'), 'utf8')).toContain('--refresh');
    const host = await stack.server.services.identity.hosts.get('enr-1');
    expect(host).toMatchObject({ address: `${ADDRESS}:${port}`, labels: { env: 'test' } });

    sshd = await startRootSshd(root, ADDRESS, port);
    const identity = readFileSync(alice.sshConfig, 'utf8').split('Host 127.0.0.1\n')[1]!;
    const config = join(alice.home, 'ssh_config_enrolled');
    writeFileSync(config, `Host enr-1\n  HostName enr-1\n  HostKeyAlias enr-1\n  ProxyJump 127.0.0.1:${stack.gatewayPort}\n${identity}Host 127.0.0.1\n${identity}`);
    const ssh = await run(SSH, ['-F', config, 'enralice@enr-1', 'id -un'], { timeoutMs: 60_000 });
    expect(ssh.stderr).toBe('');
    expect(ssh.stdout).toBe('enralice\n');
    expect(sshd.log.text()).toMatch(/Accepted publickey for enralice from 127\.0\.0\.1 port \d+ ssh2: ED25519-CERT/);
    const types = (await auditTypes()).map((e) => e.type);
    expect(types).toContain('host.enrolled');
  });

  it('changes nothing when run a second time', async () => {
    const enrolled = hashTree(root);
    const r = await runScript(script, [...baseArgs(root), '--token', token]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('enrolled as enr-1; nothing to change');
    expect(hashTree(root)).toBe(enrolled);
  });

  it('refuses a reused, a bad and an expired token and changes nothing on the server', { timeout: 60_000 }, async () => {
    const expired = await newToken();
    await stack.server.services.database.db.updateTable('host_join_tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('used_at', 'is', null).execute();
    const cases: [string, string, RegExp][] = [
      ['reused', token, /already used/],
      ['bad', `acj_${'A'.repeat(43)}`, /not known to this CA/],
      ['expired', expired, /expired/],
    ];
    for (const [what, secret, message] of cases) {
      const other = tempDir(`enroll-${what}`);
      await seedRoot(other);
      const unchanged = hashTree(other);
      const hosts = await hostNames();
      const events = (await auditTypes()).length;
      const r = await runScript(script, [...baseArgs(other), '--name', `enr-${what}`, '--address', '127.0.0.99'], { ACCESS_JOIN_TOKEN: secret });
      expect(r.code, what).toBe(1);
      expect(r.stderr, what).toMatch(message);
      expect(r.stderr, what).toContain('nothing was changed');
      expect(hashTree(other), what).toBe(unchanged);
      expect(await hostNames(), what).toEqual(hosts);
      const added = (await auditTypes()).slice(events);
      expect(added.map((e) => e.type), what).toEqual(['host.enroll.denied']);
      expect(added[0]!.details, what).toMatchObject({ reason: expect.stringMatching(message) });
    }
  });

  it('lets exactly one of two concurrent enrollments use a token', async () => {
    const shared = await newToken();
    const keys = [0, 1].map(() => readFileSync(join(root, 'etc/ssh/ssh_host_ecdsa_key.pub'), 'utf8'));
    const answers = await Promise.all(
      ['enr-race-a', 'enr-race-b'].map((name, i) =>
        fetch(`${stack.server.url}/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: shared, name, addresses: ['127.0.0.98'], hostKeys: [keys[i]] }) }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 401]);
    const names = await hostNames();
    expect(names.filter((n) => n.startsWith('enr-race-'))).toHaveLength(1);
  });

  it('refuses a renewal that is stale or signed by a key the host did not enroll with', async () => {
    const dir = tempDir('enroll-renew');
    await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'stranger')]);
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, number, RegExp][] = [
      [join(dir, 'stranger'), now, /not one of the host keys/],
      [join(root, 'etc/ssh/ssh_host_ed25519_key'), now - 3600, /away from the CA's clock/],
    ];
    for (const [key, time, reason] of cases) {
      const message = `access-host-renew name=enr-1 time=${time}`;
      writeFileSync(join(dir, 'msg'), message);
      await runOk('ssh-keygen', ['-q', '-Y', 'sign', '-f', key, '-n', 'access-host-renew@access', join(dir, 'msg')]);
      const signature = readFileSync(join(dir, 'msg.sig'), 'utf8');
      rmSync(join(dir, 'msg.sig'));
      const r = await fetch(`${stack.server.url}/v1/enroll/renew`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message, signature }) });
      expect(r.status).toBe(403);
      expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(reason);
    }
  });

  it('keeps the old KRL when the new one cannot be fetched or is not a KRL', { timeout: 60_000 }, async () => {
    const krl = join(root, 'etc/ssh/access/revoked_keys');
    const old = readFileSync(krl);
    const junk = await startJunkServer('<html>not a KRL</html>');
    try {
      const closed = `http://127.0.0.1:${await getFreePort()}`;
      for (const ca of [junk.url, closed]) {
        const r = await runScript(script, ['--ca', ca, '--root', root, '--no-reload', '--refresh']);
        expect(r.code, ca).not.toBe(0);
        expect(r.stdout, ca).toContain('kept the previous KRL');
        expect(readFileSync(krl).equals(old), ca).toBe(true);
      }
    } finally {
      await junk.close();
    }
  });

  it('renews the host certificates with a signature by the host key', { timeout: 60_000 }, async () => {
    const certPath = join(root, 'etc/ssh/access/ssh_host_ed25519_key-cert.pub');
    const old = readFileSync(certPath, 'utf8');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const r = await runScript(script, [...baseArgs(root), '--refresh', '--renew-now']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('renewed the host certificates');
    expect(readFileSync(certPath, 'utf8')).not.toBe(old);
    expect((await auditTypes()).map((e) => e.type)).toContain('host.renewed');
  });

  it('--uninstall restores the original configuration byte for byte', async () => {
    await sshd?.stop();
    sshd = null;
    const dry = await runScript(script, [...baseArgs(root), '--uninstall', '--dry-run']);
    expect(dry.stdout).toContain(`would restore ${root}/etc/ssh/sshd_config`);
    const r = await runScript(script, [...baseArgs(root), '--uninstall']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(hashTree(root)).toBe(before);
  });
});
