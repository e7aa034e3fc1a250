import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, runOk, type RunResult } from './process.ts';

export const SSH = '/usr/bin/ssh';

export interface SshRunOptions {
  port: number;
  user: string;
  /** Name or address to connect to; 127.0.0.1 unless given. Host certificates are checked against this name. */
  host?: string;
  identityFile?: string;
  certificateFile?: string;
  /** A known_hosts file: given, the host key is checked strictly against it; absent, not checked at all. */
  knownHosts?: string;
  /** An ssh-agent socket; without it the client uses no agent. */
  agentSocket?: string;
  /** Offer only `identityFile`/`certificateFile` (default); false also offers every key the agent holds. */
  identitiesOnly?: boolean;
  command: string;
  /** Ask for a terminal (`-tt`) instead of none (`-T`). */
  tty?: boolean;
  /** More `-o` options, e.g. `HostKeyAlias=web-1`. */
  extraOptions?: string[];
  timeoutMs?: number;
}

export interface SshResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the OpenSSH client once, with no user or system configuration (`-F /dev/null`), no
 * prompts and a hard deadline. Exit status 255 is ssh's own failure (e.g. authentication);
 * anything else is the remote command's.
 */
export async function runSsh(options: SshRunOptions): Promise<SshResult> {
  const args = ['-F', '/dev/null', options.tty ? '-tt' : '-T'];
  const o = (value: string): void => {
    args.push('-o', value);
  };
  o('BatchMode=yes');
  o(`IdentitiesOnly=${options.identitiesOnly === false ? 'no' : 'yes'}`);
  o(`IdentityAgent=${options.agentSocket ?? 'none'}`);
  if (options.knownHosts !== undefined) {
    o('StrictHostKeyChecking=yes');
    o(`UserKnownHostsFile=${options.knownHosts}`);
  } else {
    o('StrictHostKeyChecking=no');
    o('UserKnownHostsFile=/dev/null');
    o('LogLevel=ERROR');
  }
  o('GlobalKnownHostsFile=/dev/null');
  o('UpdateHostKeys=no');
  o('ConnectTimeout=5');
  o('ServerAliveInterval=5');
  o('ServerAliveCountMax=2');
  o('PasswordAuthentication=no');
  o('KbdInteractiveAuthentication=no');
  if (options.identityFile !== undefined) args.push('-i', options.identityFile);
  if (options.certificateFile !== undefined) o(`CertificateFile=${options.certificateFile}`);
  for (const extra of options.extraOptions ?? []) o(extra);
  args.push('-p', String(options.port), '-l', options.user, '--', options.host ?? '127.0.0.1', options.command);
  const result: RunResult = await run(SSH, args, { timeoutMs: options.timeoutMs ?? 15_000 });
  if (result.timedOut) throw new Error(`ssh timed out: ${args.join(' ')}\nstderr: ${result.stderr}`);
  // ssh ends its own messages with CRLF.
  return { code: result.code, stdout: result.stdout, stderr: result.stderr.replace(/\r\n/g, '\n') };
}

export interface KeyPair {
  privateKeyPath: string;
  publicKeyPath: string;
  publicKey: string;
  /** Where OpenSSH looks for this key's certificate by default (`<key>-cert.pub`). */
  certificatePath: string;
}

/** A new unencrypted Ed25519 key pair in `dir` (`ssh-keygen -t ed25519 -N ''`), private half 0600. */
export async function generateKeyPair(dir: string, name: string): Promise<KeyPair> {
  const privateKeyPath = join(dir, name);
  if (existsSync(privateKeyPath)) throw new Error(`${privateKeyPath} exists already: pick another key name`);
  await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', privateKeyPath]);
  chmodSync(privateKeyPath, 0o600);
  const publicKey = readFileSync(`${privateKeyPath}.pub`, 'utf8').trim();
  return { privateKeyPath, publicKeyPath: `${privateKeyPath}.pub`, publicKey, certificatePath: `${privateKeyPath}-cert.pub` };
}
