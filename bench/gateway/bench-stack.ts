/**
 * Everything the gateway bench runs against, on loopback: the CA's data (keys, a role, a
 * grant, the host web-1, an engineer's user certificate) made in this process with
 * `openServices`, a target sshd, a stock OpenSSH bastion, and `access-server start` with its
 * gateway as a child process of its own, so its memory can be read from /proc.
 */
import { writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig, openServices } from '@access/ca';
import { formatPublicKey, generateCaKey, parsePublicKey, type SshPublicKey } from '@access/sshcert';
import { ensureUser } from '../../test/support/linux-user.ts';
import { startSshd } from '../../test/support/sshd.ts';
import { startCaServer } from '../lib/ca-server-process.ts';
import type { Cleanup } from '../lib/cleanup.ts';
import { getFreePort } from '../lib/free-port.ts';

/** The Linux login the engineer's role grants, on the target and on the bastion. */
export const LOGIN = 'gwbench';
/** The enrolled host's name: the gateway's host certificate for it names it, so does the target's. */
export const TARGET_NAME = 'web-1';
const EMAIL = 'bench@example.com';
const ADMIN = { kind: 'cli' as const, id: 'bench-gateway' };

export interface BenchStack {
  /** The access-server child (CA + gateway): the process whose RSS is read. */
  serverPid: number;
  gatewayPort: number;
  bastionPort: number;
  targetPort: number;
  /** `ssh -F <this> <alias>` for each path (see `SSH_ALIASES`). */
  sshConfig: string;
  /** The same, but every hop (jumps too) limited to the curve25519-sha256 key exchange the gateway uses. */
  sshConfigCurve25519: string;
  /** The engineer's key (OpenSSH text) and user certificate line, for in-process ssh2 clients. */
  engineer: { privateKeyText: string; certificate: string };
  hostCaKey: SshPublicKey;
}

/** ssh_config Host aliases: the same login on the same target, three ways. */
export const SSH_ALIASES = { gateway: 'via-gateway', bastion: 'via-bastion', direct: 'direct' } as const;

export interface StackOptions {
  root: string;
  databaseUrl: string | undefined;
  nodeFlags: string[] | undefined;
  progress: (line: string) => void;
}

/** Sets the stack up; every process and file it makes is registered with `cleanup`. */
export async function startBenchStack(options: StackOptions, cleanup: Cleanup): Promise<BenchStack> {
  const { root, databaseUrl, progress } = options;
  const dataDir = join(root, 'ca');
  const home = join(root, 'engineer');
  await mkdir(home, { mode: 0o700 });
  await ensureUser(LOGIN);

  progress('CA data: keys, role, grant, host, engineer certificate (openServices in this process)');
  const config = loadConfig({ dataDir, databaseUrl, httpAddr: '127.0.0.1:0', sshAddr: false }, {});
  const services = await openServices(config, { initKeysIfMissing: true });
  let targetPort: number;
  let bastionPort: number;
  const engineerKey = generateCaKey(EMAIL);
  let certificate: string;
  let hostCaKey: SshPublicKey;
  try {
    const published = await services.keyring.published();
    const caKey = (kind: string) => published.find((k) => k.kind === kind)!.publicKey;
    hostCaKey = parsePublicKey(caKey('host'));
    const hostCertificate = (principals: string[]) => async (hostPublicKey: string) =>
      (await services.authority.sign({ type: 'host', publicKey: hostPublicKey, principals, ttl: '1h' }, { actor: ADMIN, remote: null })).certificate;

    // The target trusts the upstream CA (the gateway's per-session certificates) and, for
    // the bastion and direct paths, the user CA too.
    const target = await startSshd({
      trustedUserCaKeys: `${caKey('upstream')}\n${caKey('user')}\n`,
      hostCertificate: hostCertificate([TARGET_NAME]),
      logLevel: 'INFO',
      extraConfig: ['AllowTcpForwarding yes'],
    });
    cleanup.defer('stop the target sshd', () => target.stop());
    targetPort = target.port;
    // A stock OpenSSH jump host: the same user CA, TCP forwarding on, nothing recorded.
    const bastion = await startSshd({
      trustedUserCaKeys: `${caKey('user')}\n`,
      hostCertificate: hostCertificate(['127.0.0.1']),
      logLevel: 'INFO',
      extraConfig: ['AllowTcpForwarding yes'],
    });
    cleanup.defer('stop the bastion sshd', () => bastion.stop());
    bastionPort = bastion.port;

    await services.identity.hosts.create({ name: TARGET_NAME, address: `127.0.0.1:${targetPort}`, labels: { env: 'bench' } }, ADMIN);
    await services.identity.roles.create(
      {
        name: 'gateway-bench',
        logins: [LOGIN],
        hostLabels: { env: ['bench'] },
        maxTtl: '8h',
        permissions: { pty: true, portForwarding: true, agentForwarding: false, fileTransfer: true, x11: false },
      },
      ADMIN,
    );
    await services.identity.grants.add({ user: EMAIL, role: 'gateway-bench', reason: 'gateway bench' }, ADMIN);
    const { user, access } = await services.identity.signIn({ issuer: 'https://idp.bench', subject: EMAIL, email: EMAIL, emailVerified: true }, { remote: null });
    certificate = (
      await services.authority.sign(
        { type: 'user', publicKey: formatPublicKey(engineerKey.signer.publicKey), principals: access.principals, ttl: '1h', keyId: EMAIL, extensions: access.extensions },
        { actor: { kind: 'user', id: user.id, name: EMAIL }, remote: null },
      )
    ).certificate;
  } finally {
    await services.close();
  }

  const gatewayPort = await getFreePort();
  progress(`starting access-server start --ssh-addr 127.0.0.1:${gatewayPort} (${databaseUrl ? 'PostgreSQL' : 'PGlite'})`);
  const server = await startCaServer({ dataDir, databaseUrl, startTimeoutMs: 60_000, nodeFlags: options.nodeFlags, startArgs: ['--ssh-addr', `127.0.0.1:${gatewayPort}`] });
  cleanup.defer('stop access-server', () => server.stop());

  const files = writeSshConfig(home, { gatewayPort, bastionPort, targetPort }, engineerKey.privateKeyText, certificate, formatPublicKey(hostCaKey));
  return { serverPid: server.pid, gatewayPort, bastionPort, targetPort, ...files, engineer: { privateKeyText: engineerKey.privateKeyText, certificate }, hostCaKey };
}

/**
 * The engineer's OpenSSH files, as `access login` writes them (key, certificate,
 * `@cert-authority` known_hosts), and one Host alias per path. HostKeyAlias makes every
 * path check the target's certificate for the name web-1. A second file pins the key
 * exchange for the jump process too, which `-o` on the command line would not reach.
 */
function writeSshConfig(
  home: string,
  ports: { gatewayPort: number; bastionPort: number; targetPort: number },
  privateKeyText: string,
  certificate: string,
  hostCaKey: string,
): { sshConfig: string; sshConfigCurve25519: string } {
  const key = join(home, 'key');
  writeFileSync(key, privateKeyText, { mode: 0o600 });
  writeFileSync(`${key}-cert.pub`, `${certificate}\n`);
  writeFileSync(join(home, 'known_hosts'), `@cert-authority * ${hostCaKey}\n`);
  const target = (port: number) => [`  HostName 127.0.0.1`, `  Port ${port}`, `  HostKeyAlias ${TARGET_NAME}`];
  const lines = [
    `Host ${SSH_ALIASES.gateway}`,
    `  HostName ${TARGET_NAME}`,
    `  HostKeyAlias ${TARGET_NAME}`,
    `  ProxyJump 127.0.0.1:${ports.gatewayPort}`,
    `Host ${SSH_ALIASES.bastion}`,
    ...target(ports.targetPort),
    `  ProxyJump 127.0.0.1:${ports.bastionPort}`,
    `Host ${SSH_ALIASES.direct}`,
    ...target(ports.targetPort),
    'Host *',
    `  User ${LOGIN}`,
    `  CertificateFile ${key}-cert.pub`,
    `  IdentityFile ${key}`,
    '  IdentitiesOnly yes',
    '  IdentityAgent none',
    `  UserKnownHostsFile ${join(home, 'known_hosts')}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  UpdateHostKeys no',
    '  BatchMode yes',
    '  ControlMaster no',
    '  ControlPath none',
    '  ConnectTimeout 10',
    '  LogLevel ERROR',
    '',
  ];
  const sshConfig = join(home, 'ssh_config');
  writeFileSync(sshConfig, lines.join('\n'));
  const sshConfigCurve25519 = join(home, 'ssh_config_curve25519');
  writeFileSync(sshConfigCurve25519, [...lines.slice(0, -1), '  KexAlgorithms curve25519-sha256', ''].join('\n'));
  return { sshConfig, sshConfigCurve25519 };
}
