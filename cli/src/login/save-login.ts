import { existsSync } from 'node:fs';
import { parseCertificate, type SshCertificate } from '@access/sshcert';
import type { LoginResult, MyHost } from '../api-types.ts';
import { CliError } from '../errors.ts';
import { ensureHomeDir, removeFiles, replaceFiles, type AccessHome, type FileWrite } from '../home/access-home.ts';
import { sessionWrite, type Session } from '../home/session-file.ts';
import type { CliIo } from '../io.ts';
import { renderSshConfig } from '../ssh/ssh-config.ts';
import { addToAgent, hasAgent, removeFromAgent } from '../ssh/ssh-agent.ts';
import type { LoginKey } from './keypair.ts';

export interface SaveLoginInput {
  io: CliIo;
  home: AccessHome;
  server: string;
  key: LoginKey;
  result: LoginResult;
  hosts: readonly MyHost[];
  direct: boolean;
  includeDeclined: boolean;
}

export interface SavedLogin {
  session: Session;
  certificate: SshCertificate | null;
  warnings: string[];
}

/** The certificate must be for the key we just made: anything else is a server bug or an attack. */
function checkCertificate(result: LoginResult, key: LoginKey): SshCertificate | null {
  if (result.certificate === null) return null;
  const cert = parseCertificate(result.certificate);
  const ours = key.publicKeyLine.split(' ')[1];
  if (cert.publicKey.blob.toString('base64') !== ours) throw new CliError('ERR_PROTOCOL', 'the server returned a certificate for a different key; nothing was saved');
  if (cert.type !== 'user') throw new CliError('ERR_PROTOCOL', 'the server returned a host certificate instead of a user certificate; nothing was saved');
  return cert;
}

/**
 * Replaces the previous login's files with this one's in one step (see replaceFiles), then
 * loads the new key into ssh-agent for exactly the certificate's lifetime. A login without a
 * certificate (roles without logins) keeps the API session and removes any older key.
 */
export async function saveLogin(input: SaveLoginInput): Promise<SavedLogin> {
  const { io, home, result, key } = input;
  const certificate = checkCertificate(result, key);
  const warnings: string[] = [];
  ensureHomeDir(home);
  if (hasAgent(io) && existsSync(home.key)) await removeFromAgent(io, home.key);

  const session: Session = {
    server: input.server,
    apiToken: result.apiToken,
    user: result.user,
    principals: result.principals,
    roles: result.roles,
    capabilities: result.capabilities,
    validAfter: result.validAfter,
    validBefore: result.validBefore,
    gateway: result.gateway,
    direct: input.direct,
    fingerprint: key.fingerprint,
    ...(input.includeDeclined ? { includeDeclined: true } : {}),
  };
  const knownHosts = result.knownHosts.endsWith('\n') || result.knownHosts === '' ? result.knownHosts : `${result.knownHosts}\n`;
  const files: FileWrite[] = [
    { path: home.knownHosts, content: knownHosts, mode: 0o644 },
    { path: home.sshConfig, content: renderSshConfig({ home, hosts: input.hosts, gateway: result.gateway, direct: input.direct }), mode: 0o644 },
    sessionWrite(home, session),
  ];
  if (certificate) {
    files.unshift(
      { path: home.key, content: key.privateKeyText, mode: 0o600 },
      { path: home.pub, content: `${key.publicKeyLine}\n`, mode: 0o644 },
      { path: home.cert, content: `${result.certificate!.trim()}\n`, mode: 0o644 },
    );
  } else {
    removeFiles([home.key, home.pub, home.cert]);
  }
  replaceFiles(files);

  if (certificate && hasAgent(io)) {
    const seconds = Number(certificate.validBefore) - io.now().getTime() / 1000;
    const warning = await addToAgent(io, home.key, seconds);
    if (warning) warnings.push(warning);
  }
  return { session, certificate, warnings };
}
