import { existsSync, readFileSync } from 'node:fs';
import { userHome, replaceFiles, type AccessHome } from '../home/access-home.ts';
import { sessionWrite, type Session } from '../home/session-file.ts';
import { say, type CliIo } from '../io.ts';
import { addInclude, hasInclude, includeLine, sshUserConfigPath } from './include-line.ts';

/**
 * Offers, once, to add `Include <ACCESS_HOME>/ssh_config` to ~/.ssh/config so that plain
 * `ssh web-1` works. Only a person at a terminal is asked; a script gets the line to add, and
 * ~/.ssh/config is never touched without a yes. A no is remembered in session.json.
 */
export async function offerInclude(io: CliIo, home: AccessHome, session: Session): Promise<void> {
  const tell = say(io);
  const configPath = sshUserConfigPath(userHome(io.env));
  const text = existsSync(configPath) ? readFileSync(configPath, 'utf8') : '';
  if (hasInclude(text, home.sshConfig)) return;
  const line = includeLine(home.sshConfig);
  const interactive = io.stdinIsTTY && io.stdout.isTTY === true;
  if (!interactive || session.includeDeclined) {
    tell(`To reach your hosts with plain "ssh <host>", add this line at the top of ${configPath}:`);
    tell(`  ${line}`);
    return;
  }
  const answer = await io.ask(`Add "${line}" to ${configPath} so that "ssh <host>" finds your access hosts? [y/N] `);
  if (/^\s*y(es)?\s*$/i.test(answer)) {
    addInclude(userHome(io.env), home.sshConfig);
    tell(`added to ${configPath}: ${line}`);
    return;
  }
  replaceFiles([sessionWrite(home, { ...session, includeDeclined: true })]);
  tell(`left ${configPath} alone (not asking again); to add it yourself: ${line}`);
}
