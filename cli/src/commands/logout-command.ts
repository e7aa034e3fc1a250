import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ApiClient } from '../api-client.ts';
import { ApiError, describeError } from '../errors.ts';
import { accessHome, removeFiles } from '../home/access-home.ts';
import { readSession, type Session } from '../home/session-file.ts';
import { print, say, type CliIo } from '../io.ts';
import { hasAgent, removeFromAgent } from '../ssh/ssh-agent.ts';

/**
 * Ends the login here and, when the server is reachable, there: the API token is revoked,
 * the key leaves the agent, and every file that could be used to connect is removed.
 */
export function registerLogoutCommand(program: Command, io: CliIo): void {
  program
    .command('logout')
    .description('revoke your API token (when the server is reachable) and remove your key, certificate and session')
    .action(async () => {
      const home = accessHome(io.env);
      let session: Session | null = null;
      try {
        session = readSession(home);
      } catch {
        // an unreadable session is removed below like the rest
      }
      if (session) {
        try {
          await new ApiClient({ server: session.server, token: session.apiToken, tokenSource: 'session', fetch: io.fetch, timeoutMs: 5000 }).logout();
        } catch (error) {
          // 401: the token had expired or was revoked already, which is what we wanted.
          if (!(error instanceof ApiError && error.status === 401)) {
            say(io)(`warning: could not revoke the API token on the server (${describeError(error, io.env).split('\n')[0]}); it expires by itself at ${session.validBefore}`);
          }
        }
      }
      if (hasAgent(io) && existsSync(home.key)) await removeFromAgent(io, home.key);
      const names = ['key', 'key.pub', 'key-cert.pub', 'session.json', 'ssh_config', 'known_hosts'];
      const present = existsSync(home.dir) ? readdirSync(home.dir) : [];
      // Temporary files of a login that crashed between write and rename hold keys too.
      const leftovers = present.filter((f) => names.some((n) => f.startsWith(`${n}.tmp-`)));
      const removed = present.filter((f) => names.includes(f));
      removeFiles([...names, ...leftovers].map((n) => join(home.dir, n)));
      print(io)(removed.length || leftovers.length ? `Logged out: removed ${removed.join(', ')} from ${home.dir}` : 'Not logged in; nothing to remove');
    });
}
