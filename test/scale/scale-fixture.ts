import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, openServices } from '@access/ca';
import type { RolePermissions } from '@access/db';
import { issueEngineerCredentials } from '../support/engineer-credentials.ts';
import { ensureUser } from '../support/linux-user.ts';
import { startSshd, type SshdHandle } from '../support/sshd.ts';
import { makeTempDir, removeDir } from '../support/temp-dir.ts';

type Services = Awaited<ReturnType<typeof openServices>>;

const ADMIN = { kind: 'cli' as const, id: 'scale-test' };
const ALL: RolePermissions = { pty: true, portForwarding: false, agentForwarding: false, fileTransfer: true, x11: false };

export interface ScaleEngineer {
  email: string;
  userId: string;
  /** The serial of the certificate `access login` would have given them. */
  serial: bigint;
  /** An ssh_config that jumps through the gateway at `gatewayAddress` (host:port). */
  configFor(gatewayAddress: string): string;
}

export interface ScaleFixture {
  services: Services;
  /** The data directory whose `keys/` every CA instance of the test reads. */
  dataDir: string;
  addTarget(name: string): Promise<SshdHandle>;
  addEngineer(email: string, login: string): Promise<ScaleEngineer>;
  close(): Promise<void>;
}

/**
 * The administrator's side of a scale-out test, in this process: one more CA instance on
 * the shared database and key directory (creating the CA keys on first use), used to enroll
 * targets and people the way `access-server` commands and `access login` would.
 */
export async function openScaleFixture(databaseUrl: string): Promise<ScaleFixture> {
  const dataDir = makeTempDir('scale-ca');
  const services = await openServices(loadConfig({ dataDir, databaseUrl, httpAddr: '127.0.0.1:0', sshAddr: false }, {}), { initKeysIfMissing: true });
  const published = await services.keyring.published();
  const caKey = (kind: string) => published.find((k) => k.kind === kind)!.publicKey;
  const sshds: SshdHandle[] = [];
  const homes: string[] = [];
  let roles = 0;
  return {
    services,
    dataDir,
    async addTarget(name) {
      const sshd = await startSshd({
        trustedUserCaKeys: `${caKey('upstream')}\n`,
        hostCertificate: async (hostPublicKey) =>
          (await services.authority.sign({ type: 'host', publicKey: hostPublicKey, principals: [name], ttl: '1h' }, { actor: ADMIN, remote: null })).certificate,
      });
      sshds.push(sshd);
      await services.identity.hosts.create({ name, address: `127.0.0.1:${sshd.port}`, labels: { env: 'scale' } }, ADMIN);
      return sshd;
    },
    async addEngineer(email, login) {
      await ensureUser(login);
      const role = `scale-${++roles}`;
      await services.identity.roles.create({ name: role, logins: [login], hostLabels: { env: ['scale'] }, maxTtl: '8h', permissions: ALL }, ADMIN);
      await services.identity.grants.add({ user: email, role, reason: 'scale tests' }, ADMIN);
      const { userId, home, serial, identity } = await issueEngineerCredentials(services, email, caKey('host'), 'scale-engineer');
      homes.push(home);
      const targets = (await services.database.db.selectFrom('hosts').select('name').execute()).map((h) => h.name);
      return {
        email,
        userId,
        serial,
        configFor(gatewayAddress) {
          const path = join(home, `ssh_config-${gatewayAddress.replace(/\W/g, '_')}`);
          const hosts = targets.flatMap((t) => [`Host ${t}`, `  HostName ${t}`, `  HostKeyAlias ${t}`, `  ProxyJump ${gatewayAddress}`, ...identity]);
          writeFileSync(path, [...hosts, 'Host 127.0.0.1', ...identity, ''].join('\n'));
          return path;
        },
      };
    },
    async close() {
      await services.close();
      for (const s of sshds) await s.stop();
      for (const h of homes) removeDir(h);
      removeDir(dataDir);
    },
  };
}
