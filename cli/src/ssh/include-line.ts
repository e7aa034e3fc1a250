import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';

export const includeLine = (sshConfigPath: string): string => `Include ${sshConfigPath}`;

export const sshUserConfigPath = (userHome: string): string => join(userHome, '.ssh', 'config');

/** Whether ~/.ssh/config already includes our file (keyword case-insensitive, path exact, quotes allowed). */
export function hasInclude(configText: string, sshConfigPath: string): boolean {
  return configText.split(/\r?\n/).some((raw) => {
    const m = /^\s*include\s*(?:=\s*)?(.*?)\s*$/i.exec(raw);
    if (!m) return false;
    return m[1]!.split(/\s+/).some((word) => word.replace(/^"(.*)"$/, '$1') === sshConfigPath);
  });
}

/**
 * Adds the Include line at the top of ~/.ssh/config: ssh applies the first value it finds,
 * and an Include placed after a Host block would only apply inside that block. Creates ~/.ssh
 * (0700) and the file (0600) when absent. Returns false when the line was already there.
 */
export function addInclude(userHome: string, sshConfigPath: string): boolean {
  const path = sshUserConfigPath(userHome);
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : null;
  if (existing !== null && hasInclude(existing, sshConfigPath)) return false;
  if (existing === null) {
    mkdirSync(join(userHome, '.ssh'), { recursive: true, mode: 0o700 });
    writeFileSync(path, `${includeLine(sshConfigPath)}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
    return true;
  }
  const block = `# added by "access login": hosts you reach through access\n${includeLine(sshConfigPath)}\n\n`;
  writeFileSync(path, block + existing);
  return true;
}
