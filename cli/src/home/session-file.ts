import { existsSync, readFileSync } from 'node:fs';
import type { UserView } from '../api-types.ts';
import { CliError } from '../errors.ts';
import type { AccessHome, FileWrite } from './access-home.ts';

/** session.json (0600): what the last login returned, minus the certificate (kept in key-cert.pub). */
export interface Session {
  server: string;
  /** A secret: the bearer token for the API; never printed. */
  apiToken: string;
  user: UserView;
  principals: string[];
  roles: string[];
  capabilities: string[];
  validAfter: string;
  validBefore: string;
  gateway: { host: string; port: number };
  /** Targets are reached without the gateway (login --direct or ACCESS_DIRECT=1). */
  direct: boolean;
  /** SHA256 fingerprint of the login's key. */
  fingerprint: string;
  /** The person said no to the ~/.ssh/config Include line; we do not ask again. */
  includeDeclined?: boolean;
}

export function readSession(home: AccessHome): Session | null {
  if (!existsSync(home.session)) return null;
  try {
    const s = JSON.parse(readFileSync(home.session, 'utf8')) as Partial<Session>;
    if (typeof s.server !== 'string' || typeof s.apiToken !== 'string' || typeof s.validBefore !== 'string') throw new Error('fields missing');
    return { ...s, principals: s.principals ?? [], roles: s.roles ?? [], capabilities: s.capabilities ?? [], direct: s.direct ?? false } as Session;
  } catch (error) {
    throw new CliError('ERR_SESSION_FILE', `${home.session} is not a session this version can read; run "access login" again`, { cause: error });
  }
}

export function sessionWrite(home: AccessHome, session: Session): FileWrite {
  return { path: home.session, content: `${JSON.stringify(session, null, 2)}\n`, mode: 0o600 };
}

/** The server to talk to: --server, then ACCESS_SERVER, then the one the last login used. */
export function resolveServer(flag: string | undefined, env: NodeJS.ProcessEnv, session: Session | null): string {
  const server = flag || env['ACCESS_SERVER'] || session?.server;
  if (!server) throw new CliError('ERR_NO_SERVER', 'no access server given: pass --server URL (e.g. --server https://access.example.com) or set ACCESS_SERVER');
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new CliError('ERR_BAD_SERVER', `--server must be a URL such as https://access.example.com, got "${server.slice(0, 100)}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CliError('ERR_BAD_SERVER', `--server must be an http(s) URL, got "${server.slice(0, 100)}"`);
  return url.toString().replace(/\/+$/, '');
}
