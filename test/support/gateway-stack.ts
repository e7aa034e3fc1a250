import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAuditLog } from '@access/audit';
import { openDatabase, type DatabaseHandle, type RolePermissions } from '@access/db';
import { createHttpGatewayCa, DEFAULT_GATEWAY_CONFIG, startGateway, type Gateway, type GatewayConfig } from '@access/gateway';
import { loadConfig, startServer, type RunningServer } from '@access/ca';
import { getFreePort } from './free-port.ts';
import { issueEngineerCredentials } from './engineer-credentials.ts';
import { ensureUser } from './linux-user.ts';
import { run, type RunResult, type RunOptions } from './process.ts';
import { SSH } from './ssh-client.ts';
import { startSshd, type SshdHandle } from './sshd.ts';
import { makeTempDir, removeDir } from './temp-dir.ts';

const ALL: RolePermissions = { pty: true, portForwarding: true, agentForwarding: false, fileTransfer: true, x11: false };

export interface Engineer {
  email: string;
  userId: string;
  home: string;
  /** `ssh -F <this>` reaches every target through the gateway, as `access login` sets it up. */
  sshConfig: string;
  ssh(args: readonly string[], options?: RunOptions): Promise<RunResult>;
}

export interface Target {
  name: string;
  sshd: SshdHandle;
}

export interface GatewayStack {
  server: RunningServer;
  gatewayPort: number;
  log: string[];
  addTarget(name: string, labels?: Record<string, string>): Promise<Target>;
  /** A person with a role giving `logins` on hosts labelled env=test, and a fresh certificate. */
  addEngineer(email: string, logins: readonly string[], permissions?: Partial<RolePermissions>): Promise<Engineer>;
  stop(): Promise<void>;
}

const ADMIN = { kind: 'cli' as const, id: 'gateway-test' };

/**
 * The whole stack in this process, on the embedded database: CA + gateway (`startServer`,
 * as `access-server start` runs it), real sshd targets trusting only the upstream CA and
 * presenting host certificates from the host CA, and engineers whose `ssh_config` jumps
 * through the gateway exactly as `access login` writes it.
 */
export async function startGatewayStack(
  options: { databaseUrl?: string; dataDir?: string; remoteGateway?: boolean; /** `--proxy-protocol-from` of the gateway. */ proxyProtocolFrom?: string;
    /** The gateway's limit flags by commander's name, e.g. `{ connectionRate: '1000' }` for `--connection-rate 1000`. */
    gatewayLimits?: Record<string, string>;
    /** The remote gateway's clock (GatewayDeps.clock), e.g. minutes off the CA's; the system clock unless given. */
    gatewayClock?: () => Date;
    /** The remote gateway's timeout for each call to the CA (ms). */
    caTimeoutMs?: number;
    /** Environment the CA's configuration is read from (`ACCESS_CLOCK_SKEW`, …); none unless given. */
    caEnv?: Record<string, string>;
  } = {},
): Promise<GatewayStack> {
  const dataDir = options.dataDir ?? makeTempDir('gw-stack');
  const gatewayPort = await getFreePort();
  const sshAddr = options.remoteGateway ? false : `127.0.0.1:${gatewayPort}`;
  const config = loadConfig({ dataDir, httpAddr: '127.0.0.1:0', sshAddr, databaseUrl: options.databaseUrl, proxyProtocolFrom: options.proxyProtocolFrom, gatewayLimits: options.gatewayLimits }, options.caEnv ?? {});
  const log: string[] = [];
  const server = await startServer(config, { say: (line) => log.push(line) });
  const { services } = server;
  // A gateway of its own, asking the CA over HTTP with a gateway token, sharing the database.
  let remote: { gateway: Gateway; database: DatabaseHandle } | null = null;
  if (options.remoteGateway) {
    if (!options.databaseUrl) throw new Error('a remote gateway shares the database: give databaseUrl');
    const { token } = await services.tokens.create({ role: 'gateway', description: 'test gateway' }, ADMIN);
    const database = await openDatabase({ url: options.databaseUrl });
    const gateway = await startGateway({
      config: {
        ...DEFAULT_GATEWAY_CONFIG,
        sshAddr: { host: '127.0.0.1', port: gatewayPort },
        names: ['127.0.0.1'],
        exclusiveDatabase: false,
        proxyProtocolFrom: config.proxyProtocolFrom,
        ...config.gatewayLimits,
        spoolDir: join(dataDir, 'remote-gateway-spool'),
      },
      ca: createHttpGatewayCa({ url: server.url, token, ...(options.caTimeoutMs === undefined ? {} : { timeoutMs: options.caTimeoutMs }) }),
      db: database.db,
      audit: createAuditLog(database.db, () => new Date()),
      listen: database.listen,
      clock: options.gatewayClock ?? (() => new Date()),
      log: (line) => log.push(`remote-gateway: ${line}`),
    });
    remote = { gateway, database };
  }
  const targets: Target[] = [];
  const homes: string[] = [];
  const published = await services.keyring.published();
  const caKey = (kind: string) => published.find((k) => k.kind === kind)!.publicKey;
  let roleCount = 0;

  return {
    server,
    gatewayPort,
    log,
    async addTarget(name, labels = { env: 'test' }) {
      const sshd = await startSshd({
        trustedUserCaKeys: `${caKey('upstream')}\n`,
        hostCertificate: async (hostPublicKey) =>
          (await services.authority.sign({ type: 'host', publicKey: hostPublicKey, principals: [name], ttl: '1h' }, { actor: ADMIN, remote: null })).certificate,
        logLevel: 'VERBOSE',
        extraConfig: ['AllowTcpForwarding yes', 'AllowAgentForwarding yes', 'AcceptEnv LANG LC_* ACCESS_TEST_*', 'Subsystem sftp internal-sftp'],
      });
      await services.identity.hosts.create({ name, address: `127.0.0.1:${sshd.port}`, labels }, ADMIN);
      const target = { name, sshd };
      targets.push(target);
      return target;
    },

    async addEngineer(email, logins, permissions = {}) {
      for (const login of logins) await ensureUser(login);
      const role = `e2e-${++roleCount}`;
      await services.identity.roles.create({ name: role, logins, hostLabels: { env: ['test'] }, maxTtl: '8h', permissions: { ...ALL, ...permissions } }, ADMIN);
      await services.identity.grants.add({ user: email, role, reason: 'gateway tests' }, ADMIN);
      const { userId, home, identity } = await issueEngineerCredentials(services, email, caKey('host'), 'gw-engineer');
      homes.push(home);
      const sshConfig = join(home, 'ssh_config');
      writeFileSync(
        sshConfig,
        [
          ...targets.flatMap((t) => [`Host ${t.name}`, `  HostName ${t.name}`, `  HostKeyAlias ${t.name}`, `  ProxyJump 127.0.0.1:${gatewayPort}`, ...identity]),
          'Host 127.0.0.1',
          ...identity,
          '',
        ].join('\n'),
      );
      return {
        email,
        userId,
        home,
        sshConfig,
        ssh: (args, runOptions = {}) => run(SSH, ['-F', sshConfig, ...args], { timeoutMs: 60_000, ...runOptions }),
      };
    },

    async stop() {
      await remote?.gateway.close();
      await remote?.database.close();
      await server.close();
      for (const t of targets) await t.sshd.stop();
      for (const h of homes) removeDir(h);
      if (!options.dataDir) removeDir(dataDir);
    },
  };
}

/**
 * Another gateway in this process on the stack's CA and database, on a free port, with
 * `overrides` on the default configuration (limits short enough to test, say). Its spool is
 * `<data dir>/<name>-spool`; the caller closes it.
 */
export function startExtraGateway(stack: GatewayStack, name: string, overrides: Partial<GatewayConfig>, log: (line: string) => void): Promise<Gateway> {
  const { services } = stack.server;
  return startGateway({
    config: {
      ...DEFAULT_GATEWAY_CONFIG,
      sshAddr: { host: '127.0.0.1', port: 0 },
      names: ['127.0.0.1'],
      exclusiveDatabase: false,
      spoolDir: join(services.config.dataDir, `${name}-spool`),
      ...overrides,
    },
    ca: services.gateway,
    db: services.database.db,
    audit: services.audit,
    listen: services.database.listen,
    clock: services.clock,
    log,
  });
}
