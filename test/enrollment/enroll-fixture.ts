import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { LogBuffer } from '../support/log-buffer.ts';
import { boundedCommand, run, runOk, stopChild, type RunResult } from '../support/process.ts';
import { SSHD } from '../support/sshd.ts';

/** A Debian-like sshd_config when this machine has none: the Include at the top, as Debian ships it. */
const FALLBACK_CONFIG = 'Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\nUsePAM yes\nX11Forwarding yes\nPrintMotd no\n';

/**
 * A server's /etc/ssh under `root`: this machine's stock sshd_config with its paths moved
 * under the root (and, with `include: false`, without the drop-in Include), host keys
 * made with ssh-keygen, an empty sshd_config.d and an /etc/cron.d.
 */
export async function seedRoot(root: string, options: { include?: boolean } = {}): Promise<void> {
  const ssh = join(root, 'etc/ssh');
  mkdirSync(join(ssh, 'sshd_config.d'), { recursive: true });
  mkdirSync(join(root, 'etc/cron.d'), { recursive: true });
  for (const type of ['ed25519', 'ecdsa']) {
    await runOk('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `root@seed`, '-f', join(ssh, `ssh_host_${type}_key`)]);
  }
  const stock = existsSync('/etc/ssh/sshd_config') ? readFileSync('/etc/ssh/sshd_config', 'utf8') : FALLBACK_CONFIG;
  const moved = stock
    .split('\n')
    .filter((line) => options.include !== false || !/^Include /.test(line))
    .map((line) => line.replace(/^Include \/etc\/ssh\//, `Include ${ssh}/`))
    .join('\n');
  writeFileSync(join(ssh, 'sshd_config'), `${moved}${moved.endsWith('\n') ? '' : '\n'}HostKey ${ssh}/ssh_host_ed25519_key\nHostKey ${ssh}/ssh_host_ecdsa_key\n`, { mode: 0o644 });
}

/** Every path under `dir` with its type, mode and (for files) SHA-256: equal trees hash equal. */
export function hashTree(dir: string): string {
  const lines: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const st = lstatSync(path);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) {
        lines.push(`d ${mode} ${path}`);
        walk(path);
      } else {
        lines.push(`f ${mode} ${path} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`);
      }
    }
  };
  walk(dir);
  return lines.join('\n');
}

/** Runs the enrollment script with dash, Debian's /bin/sh. */
export function runScript(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return run('dash', [script, ...args], { timeoutMs: 60_000, env: { PATH: process.env['PATH'], ...env } });
}

export interface RootSshd {
  log: LogBuffer;
  stop(): Promise<void>;
}

/** The real sshd on the root's configuration, on its own loopback address. */
export async function startRootSshd(root: string, address: string, port: number): Promise<RootSshd> {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const args = ['-D', '-e', '-f', join(root, 'etc/ssh/sshd_config'), '-o', `Port=${port}`, '-o', `ListenAddress=${address}`, '-o', `PidFile=${join(root, 'sshd.pid')}`];
  // PAM is off as in the other suites' targets: this container has no PAM session setup to rely on.
  const [file, bounded] = boundedCommand(SSHD, [...args, '-o', 'UsePAM=no', '-o', 'LogLevel=VERBOSE']);
  const child = spawn(file, bounded, { stdio: ['ignore', 'ignore', 'pipe'] });
  const log = new LogBuffer();
  log.attach(child.stderr!);
  child.on('exit', (code, signal) => log.close(`sshd exited (${code ?? signal})`));
  try {
    await log.waitFor(new RegExp(`^Server listening on ${address.replace(/\./g, '\\.')} port ${port}\\.$`), 10_000);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { log, stop: () => stopChild(child) };
}

/** An HTTP server answering every request with `body`: a CA whose KRL is junk. */
export async function startJunkServer(body: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
