import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaKind } from '@access/db';

/** Key file names: `user-ca`, `host-ca`, `upstream-ca`, plus a suffix for rotated keys (`user-ca.1764000000`). */
const KEY_FILE = /^(user|host|upstream)-ca(?:\.[A-Za-z0-9_-]+)?$/;

export interface KeyFile {
  kind: CaKind;
  path: string;
  text: string;
}

export class KeyFileError extends Error {
  readonly code = 'ERR_KEY_FILE';
}

/** Refuses a file or folder that anyone but its owner may read: the key is only as secret as its mode. */
function assertPrivate(path: string, isDir: boolean): void {
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) {
    const fix = isDir ? `chmod 700 ${path}` : `chmod 600 ${path}`;
    throw new KeyFileError(
      `${path} is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}); fix it with: ${fix}`,
    );
  }
}

/**
 * Reads every CA private key in `dir`. In a systemd credentials directory the files are
 * the service's own (systemd sets them 0400), and the same check applies.
 */
export function readKeyFiles(dir: string): KeyFile[] {
  if (!existsSync(dir)) return [];
  assertPrivate(dir, true);
  const files: KeyFile[] = [];
  for (const name of readdirSync(dir).sort()) {
    const match = KEY_FILE.exec(name);
    if (!match) continue;
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    assertPrivate(path, false);
    files.push({ kind: match[1] as CaKind, path, text: readFileSync(path, 'utf8') });
  }
  return files;
}

/** Writes a new key file (0600) in `dir` (created 0700); never overwrites. */
export function writeKeyFile(dir: string, kind: CaKind, text: string, now: Date): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  let path = join(dir, `${kind}-ca`);
  if (existsSync(path)) path = join(dir, `${kind}-ca.${Math.floor(now.getTime() / 1000)}`);
  writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  return path;
}
