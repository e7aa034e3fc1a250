import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError } from '../errors.ts';

/** The files of one person's access home (ACCESS_HOME, default ~/.access). */
export interface AccessHome {
  dir: string;
  /** Ed25519 private key, made on this machine at each login; never sent anywhere. */
  key: string;
  pub: string;
  /** The certificate: beside the key under the name ssh and ssh-add look for. */
  cert: string;
  knownHosts: string;
  sshConfig: string;
  session: string;
}

/** The person's home directory (for ~/.ssh/config), from the environment passed in. */
export function userHome(env: NodeJS.ProcessEnv): string {
  const home = env['HOME'] || env['USERPROFILE'];
  if (!home) throw new CliError('ERR_NO_HOME', 'HOME is not set; set HOME, or ACCESS_HOME for where access keeps its files');
  return home;
}

export function accessHome(env: NodeJS.ProcessEnv): AccessHome {
  const configured = env['ACCESS_HOME'];
  // Absolute even when ACCESS_HOME is relative: ssh_config and the Include line name these paths.
  const dir = configured ? resolve(configured) : join(userHome(env), '.access');
  return {
    dir,
    key: join(dir, 'key'),
    pub: join(dir, 'key.pub'),
    cert: join(dir, 'key-cert.pub'),
    knownHosts: join(dir, 'known_hosts'),
    sshConfig: join(dir, 'ssh_config'),
    session: join(dir, 'session.json'),
  };
}

/** Creates the directory 0700, and narrows it to 0700 if it was there already. */
export function ensureHomeDir(home: AccessHome): void {
  mkdirSync(home.dir, { recursive: true, mode: 0o700 });
  chmodSync(home.dir, 0o700);
}

export interface FileWrite {
  path: string;
  content: string;
  mode: number;
}

/**
 * Writes every file under a temporary name first, then renames them into place: a crash or a
 * full disk leaves the old set or the new one, never half a key. The temporary files are made
 * with their final mode (0600 for secrets) before any byte is written.
 */
export function replaceFiles(files: readonly FileWrite[]): void {
  const staged: Array<{ temp: string; path: string }> = [];
  try {
    for (const f of files) {
      const temp = `${f.path}.tmp-${randomBytes(6).toString('hex')}`;
      staged.push({ temp, path: f.path });
      writeFileSync(temp, f.content, { mode: f.mode, flag: 'wx' });
      chmodSync(temp, f.mode);
    }
  } catch (error) {
    for (const s of staged) rmSync(s.temp, { force: true });
    throw error;
  }
  for (const s of staged) renameSync(s.temp, s.path);
}

export function removeFiles(paths: readonly string[]): void {
  for (const path of paths) rmSync(path, { force: true });
}
