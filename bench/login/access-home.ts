import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The part of the CA's LoginResult (API-CONTRACT.md, "Login") the CLI keeps. */
export interface RedeemedLogin {
  certificate: string | null;
  principals: string[];
  validAfter: string;
  validBefore: string;
  user: { id: string; email: string; displayName: string | null; groups: string[] };
  roles: string[];
  capabilities: string[];
  apiToken: string;
  knownHosts: string;
  gateway: { host: string; port: number };
}

export interface LoginKeyFiles {
  privateKeyText: string;
  publicKeyLine: string;
  fingerprint: string;
}

/**
 * Writes what `access login` leaves in its home (~/.access): the key (0600), its public
 * half, the certificate beside it, known_hosts with the CA's host keys, and session.json
 * (0600: it holds the API token). The directory is new for every login.
 */
export async function saveLogin(dir: string, server: string, key: LoginKeyFiles, result: RedeemedLogin): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const session = {
    server,
    apiToken: result.apiToken,
    user: result.user,
    principals: result.principals,
    roles: result.roles,
    capabilities: result.capabilities,
    validAfter: result.validAfter,
    validBefore: result.validBefore,
    gateway: result.gateway,
    direct: false,
    fingerprint: key.fingerprint,
  };
  const files: Array<{ name: string; content: string; mode: number }> = [
    { name: 'key', content: key.privateKeyText, mode: 0o600 },
    { name: 'key.pub', content: `${key.publicKeyLine}\n`, mode: 0o644 },
    { name: 'key-cert.pub', content: `${(result.certificate ?? '').trim()}\n`, mode: 0o644 },
    { name: 'known_hosts', content: result.knownHosts, mode: 0o644 },
    { name: 'session.json', content: `${JSON.stringify(session, null, 2)}\n`, mode: 0o600 },
  ];
  // 'wx' with the final mode: a secret is never readable by others, not even for a moment.
  for (const file of files) await writeFile(join(dir, file.name), file.content, { mode: file.mode, flag: 'wx' });
}
