import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getFreePort } from './free-port.ts';
import { LogBuffer } from './log-buffer.ts';
import { boundedCommand, runOk, stopChild } from './process.ts';
import { makeTempDir, removeDir } from './temp-dir.ts';

export const SSHD = '/usr/sbin/sshd';

export type SshdLogLevel = 'INFO' | 'VERBOSE' | 'DEBUG1' | 'DEBUG2' | 'DEBUG3';

export interface SshdOptions {
  /** Contents of the `TrustedUserCAKeys` file (one OpenSSH public key a line). */
  trustedUserCaKeys?: string;
  /** Contents of the `RevokedKeys` file (a binary KRL). The file can be rewritten later with `writeRevokedKeys`. */
  revokedKeys?: Buffer;
  /**
   * A host certificate (`HostCertificate`) for the generated host key: a certificate line,
   * or a function that gets the host public key and returns one (to sign it first).
   */
  hostCertificate?: string | ((hostPublicKey: string) => string | Promise<string>);
  /**
   * VERBOSE logs every refusal OpenSSH 9.2 has a reason for at error level; the one
   * exception found is "CA … is not listed in …" (a certificate from an unknown CA), which
   * only DEBUG2 shows.
   */
  logLevel?: SshdLogLevel;
  /** Extra `Keyword value` lines appended to the configuration. */
  extraConfig?: string[];
  startTimeoutMs?: number;
}

export interface SshdHandle {
  host: string;
  port: number;
  dir: string;
  /** The generated host key's public half (`ssh-ed25519 AAAA…`). */
  hostPublicKey: string;
  hostPublicKeyPath: string;
  trustedUserCaKeysPath: string;
  /** The `RevokedKeys` file (only configured when `revokedKeys` was given). */
  revokedKeysPath: string;
  logText(since?: number): string;
  /** The current end of the log: pass it to `waitForLog`/`logText` to look only at what comes after. */
  logMark(): number;
  waitForLog(regex: RegExp, timeoutMs?: number, since?: number): Promise<string>;
  /** Replaces the KRL file; sshd reads it on every authentication, so no restart is needed. */
  writeRevokedKeys(krl: Buffer): void;
  stop(): Promise<void>;
}

const RUN_DIR = '/run/sshd';

/**
 * Starts a real OpenSSH server (`sshd -D -e`) as root on 127.0.0.1 and a free port, with
 * its own temp dir, a generated Ed25519 host key, and only certificate logins: no
 * authorized_keys, no passwords, no PAM.
 */
export async function startSshd(options: SshdOptions = {}): Promise<SshdHandle> {
  if (process.getuid?.() !== 0) {
    throw new Error('the conformance fixtures run sshd and log in as Linux users: run these tests as root');
  }
  // sshd's privilege-separation directory; Debian creates it from a unit that does not run here.
  mkdirSync(RUN_DIR, { recursive: true, mode: 0o755 });
  chmodSync(RUN_DIR, 0o755);

  const dir = makeTempDir('sshd');
  try {
    const hostKeyPath = join(dir, 'ssh_host_ed25519_key');
    await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'conformance-host', '-f', hostKeyPath]);
    const trustedPath = join(dir, 'trusted_user_ca_keys');
    writeFileSync(trustedPath, options.trustedUserCaKeys ?? '', { mode: 0o644 });
    const krlPath = join(dir, 'revoked_keys');
    if (options.revokedKeys !== undefined) writeFileSync(krlPath, options.revokedKeys, { mode: 0o644 });
    const hostPublicKey = (await runOk('ssh-keygen', ['-y', '-f', hostKeyPath])).stdout.trim();
    let hostCertPath: string | undefined;
    if (options.hostCertificate !== undefined) {
      const cert =
        typeof options.hostCertificate === 'string' ? options.hostCertificate : await options.hostCertificate(hostPublicKey);
      hostCertPath = join(dir, 'ssh_host_ed25519_key-cert.pub');
      writeFileSync(hostCertPath, ensureNewline(cert), { mode: 0o644 });
    }

    const handle = await startWithRetries(dir, options, (port) =>
      configText({
        port,
        dir,
        hostKeyPath,
        hostCertPath,
        trustedPath,
        krlPath: options.revokedKeys === undefined ? undefined : krlPath,
        logLevel: options.logLevel ?? 'VERBOSE',
        extra: options.extraConfig ?? [],
      }),
    );
    return {
      host: '127.0.0.1',
      port: handle.port,
      dir,
      hostPublicKey,
      hostPublicKeyPath: `${hostKeyPath}.pub`,
      trustedUserCaKeysPath: trustedPath,
      revokedKeysPath: krlPath,
      logText: (since) => handle.log.text(since),
      logMark: () => handle.log.mark(),
      waitForLog: (regex, timeoutMs = 5000, since = 0) => handle.log.waitFor(regex, timeoutMs, since),
      writeRevokedKeys: (krl) => {
        if (options.revokedKeys === undefined) throw new Error('start sshd with revokedKeys to enable RevokedKeys');
        // Whole-file replace: sshd must never read a half-written KRL.
        writeFileSync(`${krlPath}.new`, krl, { mode: 0o644 });
        renameSync(`${krlPath}.new`, krlPath);
      },
      stop: async () => {
        await stopChild(handle.child);
        removeDir(dir);
      },
    };
  } catch (error) {
    removeDir(dir);
    throw error;
  }
}

interface Running {
  child: ChildProcess;
  port: number;
  log: LogBuffer;
}

async function startWithRetries(dir: string, options: SshdOptions, config: (port: number) => string): Promise<Running> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await getFreePort();
    const configPath = join(dir, 'sshd_config');
    writeFileSync(configPath, config(port), { mode: 0o600 });
    // `-t` first: a bad configuration is reported as such instead of as a start timeout.
    await runOk(SSHD, ['-t', '-f', configPath]);
    const [file, args] = boundedCommand(SSHD, ['-D', '-e', '-f', configPath]);
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const log = new LogBuffer();
    log.attach(child.stderr!);
    child.on('exit', (code, signal) => log.close(`sshd exited (${code ?? signal})`));
    try {
      await log.waitFor(/^Server listening on 127\.0\.0\.1 port \d+\.$/, options.startTimeoutMs ?? 10_000);
      return { child, port, log };
    } catch (error) {
      lastError = error;
      await stopChild(child);
      // Another process took the port between the probe and the bind: try another one.
      if (!/Address already in use|Cannot bind any address/.test(log.text())) break;
    }
  }
  throw lastError;
}

function configText(c: {
  port: number;
  dir: string;
  hostKeyPath: string;
  hostCertPath: string | undefined;
  trustedPath: string;
  krlPath: string | undefined;
  logLevel: SshdLogLevel;
  extra: string[];
}): string {
  const lines = [
    `Port ${c.port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${c.hostKeyPath}`,
    ...(c.hostCertPath ? [`HostCertificate ${c.hostCertPath}`] : []),
    `PidFile ${join(c.dir, 'sshd.pid')}`,
    `TrustedUserCAKeys ${c.trustedPath}`,
    ...(c.krlPath ? [`RevokedKeys ${c.krlPath}`] : []),
    'AuthorizedKeysFile none',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'HostbasedAuthentication no',
    'UsePAM no',
    'PermitRootLogin no',
    'X11Forwarding no',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'MaxStartups 100',
    `LogLevel ${c.logLevel}`,
    ...c.extra,
  ];
  return `${lines.join('\n')}\n`;
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
