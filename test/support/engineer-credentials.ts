import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { openServices } from '@access/ca';
import { runOk } from './process.ts';
import { makeTempDir } from './temp-dir.ts';

type Services = Pick<Awaited<ReturnType<typeof openServices>>, 'identity' | 'authority'>;

export interface EngineerCredentials {
  userId: string;
  /** A temp dir holding the key, its certificate and known_hosts; the caller removes it. */
  home: string;
  serial: bigint;
  /** ssh_config lines (indented) that use exactly this certificate and trust the host CA. */
  identity: string[];
}

/**
 * What `access login` gives an engineer, made directly: they sign in (their grants must
 * exist), a key is generated in a temp home, the CA signs it with their access, and
 * known_hosts trusts the host CA (`hostCaKey`).
 */
export async function issueEngineerCredentials(services: Services, email: string, hostCaKey: string, tempPrefix: string): Promise<EngineerCredentials> {
  const { user, access } = await services.identity.signIn({ issuer: 'https://idp.test', subject: email, email, emailVerified: true }, { remote: null });
  const home = makeTempDir(tempPrefix);
  const key = join(home, 'key');
  await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', email, '-f', key]);
  const cert = await services.authority.sign(
    { type: 'user', publicKey: readFileSync(`${key}.pub`, 'utf8'), principals: access.principals, ttl: '1h', keyId: email, extensions: access.extensions },
    { actor: { kind: 'user', id: user.id, name: email }, remote: null },
  );
  writeFileSync(`${key}-cert.pub`, `${cert.certificate}\n`);
  writeFileSync(join(home, 'known_hosts'), `@cert-authority * ${hostCaKey}\n`);
  const identity = [`  CertificateFile ${key}-cert.pub`, `  IdentityFile ${key}`, '  IdentitiesOnly yes', `  UserKnownHostsFile ${join(home, 'known_hosts')}`, '  StrictHostKeyChecking yes', '  BatchMode yes'];
  return { userId: user.id, home, serial: cert.serial, identity };
}
