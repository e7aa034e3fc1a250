import type { Command } from 'commander';
import { ApiClient, type TokenSource } from '../api-client.ts';
import { CliError } from '../errors.ts';
import { accessHome, type AccessHome } from '../home/access-home.ts';
import { readSession, resolveServer, type Session } from '../home/session-file.ts';
import type { CliIo } from '../io.ts';

export interface ServerOption {
  server?: string;
}

export interface Context {
  home: AccessHome;
  session: Session | null;
  api: ApiClient;
}

export const notLoggedIn = () => new CliError('ERR_NOT_LOGGED_IN', 'not logged in: run "access login --server URL" (or set ACCESS_TOKEN to a machine token)');

/**
 * The API as the caller: ACCESS_TOKEN (a machine token, for scripts) wins over the token of
 * the last login in session.json; the server is --server, ACCESS_SERVER or the login's.
 */
export function signedIn(io: CliIo, options: ServerOption): Context {
  const home = accessHome(io.env);
  const session = readSession(home);
  const envToken = io.env['ACCESS_TOKEN'];
  const token = envToken || session?.apiToken;
  if (!token) throw notLoggedIn();
  const tokenSource: TokenSource = envToken ? 'env' : 'session';
  const server = resolveServer(options.server, io.env, session);
  return { home, session, api: new ApiClient({ server, token, tokenSource, fetch: io.fetch }) };
}

/** --server and --json, which every command that talks to the API takes. */
export function apiOptions(command: Command): Command {
  return command
    .option('--server <url>', 'the access server (env ACCESS_SERVER; default: the one you logged in to)')
    .option('--json', 'print machine-readable JSON');
}

export const list = (value: string | undefined): string[] => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** `k=v,k2=v2` (and repeated words `k=v k2=v2`) → pairs; `what` names the flag in messages. */
export function keyValues(values: readonly string[], what: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const pair of values.flatMap((v) => list(v))) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError('ERR_BAD_LABELS', `${what} takes KEY=VALUE pairs separated by commas, got "${pair.slice(0, 80)}"`);
    pairs.push([pair.slice(0, eq), pair.slice(eq + 1)]);
  }
  return pairs;
}
