/**
 * Host certificates from the CA, presented by a real OpenSSH 9.2 sshd to an OpenSSH client
 * whose known_hosts holds nothing but the CA's `@cert-authority` line (`GET /v1/ca`
 * `knownHosts`) and which checks strictly: no trust on first use, no prompt.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprint, generateCaKey, loadCaKey, parsePublicKey } from '@access/sshcert';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessApi, isClientError, type CaInfo } from '../support/access-api.ts';
import { findCaKeyFile, initDataDir, startAccessServer, type AccessServerHandle } from '../support/access-server.ts';
import { craftCertificate } from '../support/crafted-certs.ts';
import { ensureUser } from '../support/linux-user.ts';
import { attemptLogin, escapeRegex, type LoginAttempt } from '../support/login-attempt.ts';
import { generateKeyPair, type KeyPair } from '../support/ssh-client.ts';
import { startSshd, type SshdHandle } from '../support/sshd.ts';
import { fingerprintOf, keygenList, parseKeygenListing } from '../support/ssh-keygen.ts';
import { makeTempDir, removeDir } from '../support/temp-dir.ts';

const LOGIN = 'acc-hcert';

describe('host certificates from the CA against the OpenSSH client', () => {
  let dir: string;
  let server: AccessServerHandle;
  let api: AccessApi;
  let ca: CaInfo;
  let hostCaFingerprint: string;
  let knownHosts: string;
  let client: KeyPair;
  /** Presents a CA host certificate for web-1 and localhost. */
  let web1: SshdHandle;
  let web1Serial: string;
  /** Presents a CA host certificate for web-2 only. */
  let web2: SshdHandle;
  /** Presents a certificate for web-1 and localhost from a CA nobody trusts. */
  let rogue: SshdHandle;
  /** Presents a host certificate for web-1 and localhost signed with the CA's user key. */
  let userCaSigned: SshdHandle;

  function connect(sshd: SshdHandle, how: { host?: string; alias?: string }): Promise<LoginAttempt> {
    return attemptLogin(sshd, {
      user: LOGIN,
      host: how.host ?? '127.0.0.1',
      identityFile: client.privateKeyPath,
      certificateFile: client.certificatePath,
      knownHosts,
      command: 'id -un',
      // DEBUG1 makes the client say which host certificate it checked and how it matched.
      extraOptions: [...(how.alias ? [`HostKeyAlias=${how.alias}`] : []), 'LogLevel=DEBUG1'],
    });
  }

  function expectHostRefused(attempt: LoginAttempt): void {
    expect(attempt.code, attempt.stderr).toBe(255);
    expect(attempt.stdout).toBe('');
    expect(attempt.stderr).toMatch(/^Host key verification failed\.$/m);
    // The client hung up during key exchange: sshd never saw a login attempt.
    expect(attempt.log).not.toMatch(/publickey/);
  }

  beforeAll(async () => {
    dir = makeTempDir('host-certs');
    const dataDir = join(dir, 'ca-data');
    await ensureUser(LOGIN);
    const { token } = await initDataDir(dataDir);
    server = await startAccessServer(dataDir);
    api = new AccessApi(server.url, token);
    ca = await api.ca();
    writeFileSync(join(dir, 'host-ca.pub'), `${ca.host[0]!.publicKey}\n`);
    hostCaFingerprint = await fingerprintOf(join(dir, 'host-ca.pub'));
    knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, ca.knownHosts);

    client = await generateKeyPair(dir, 'client');
    const userCert = await api.issueUser({ publicKey: client.publicKey, principals: [LOGIN], ttl: '30m', keyId: 'host-cert-client' });
    writeFileSync(client.certificatePath, `${userCert.certificate}\n`);
    const trustedUserCaKeys = ca.user.map((k) => `${k.publicKey}\n`).join('');

    web1 = await startSshd({
      trustedUserCaKeys,
      hostCertificate: async (hostPublicKey) => {
        const cert = await api.issueHost({ publicKey: hostPublicKey, principals: ['web-1', 'localhost'], ttl: '1h', keyId: 'web-1' });
        web1Serial = cert.serial;
        return cert.certificate;
      },
    });
    web2 = await startSshd({
      trustedUserCaKeys,
      hostCertificate: async (hostPublicKey) =>
        (await api.issueHost({ publicKey: hostPublicKey, principals: ['web-2'], ttl: '1h', keyId: 'web-2' })).certificate,
    });
    const rogueCa = generateCaKey('rogue host CA').signer;
    rogue = await startSshd({
      trustedUserCaKeys,
      hostCertificate: (hostPublicKey) =>
        craftCertificate({ publicKey: hostPublicKey, certificatePath: join(dir, 'rogue-host-cert.pub') }, rogueCa, {
          type: 'host',
          keyId: 'rogue',
          serial: 1n,
          principals: ['web-1', 'localhost'],
          extensions: [],
        }),
    });
    // The user CA's private key, as someone who stole it would use it.
    const userCa = loadCaKey(readFileSync(await findCaKeyFile(dataDir, ca.user[0]!.publicKey), 'utf8'));
    userCaSigned = await startSshd({
      trustedUserCaKeys,
      hostCertificate: (hostPublicKey) =>
        craftCertificate({ publicKey: hostPublicKey, certificatePath: join(dir, 'user-ca-host-cert.pub') }, userCa, {
          type: 'host',
          keyId: 'signed-by-user-ca',
          serial: 2n,
          principals: ['web-1', 'localhost'],
          extensions: [],
        }),
    });
  }, 180_000);

  afterAll(async () => {
    await Promise.all([web1?.stop(), web2?.stop(), rogue?.stop(), userCaSigned?.stop()]);
    await server?.stop();
    if (dir) removeDir(dir);
  });

  it('publishes known_hosts as @cert-authority lines for the host CA keys only', () => {
    const lines = ca.knownHosts.split('\n').filter(Boolean);
    expect(lines).toHaveLength(ca.host.length);
    for (const [i, line] of lines.entries()) {
      const [marker, names, type, blob] = line.split(/\s+/);
      expect([marker, names]).toEqual(['@cert-authority', '*']);
      expect(`${type} ${blob}`).toBe(ca.host[i]!.publicKey.split(/\s+/).slice(0, 2).join(' '));
    }
    expect(ca.knownHosts.endsWith('\n')).toBe(true);
  });

  it('issues a host certificate OpenSSH reads as one, signed by the host CA', async () => {
    const key = await generateKeyPair(dir, 'listing-host');
    const cert = await api.issueHost({ publicKey: key.publicKey, principals: ['web-1', '10.0.0.5'], ttl: '30d', keyId: 'listing-host' });
    writeFileSync(key.certificatePath, `${cert.certificate}\n`);
    const listing = parseKeygenListing(await keygenList(key.certificatePath));
    expect(listing.certType).toBe('host');
    expect(listing.signingCaFingerprint).toBe(hostCaFingerprint);
    expect(listing.principals).toEqual(['web-1', '10.0.0.5']);
    expect(listing.keyId).toBe('listing-host');
    expect(listing.serial).toBe(cert.serial);
    expect(listing.criticalOptions).toEqual([]);
    expect(listing.extensions).toEqual([]);
    // No user-certificate options on the host endpoint.
    const withOptions = await api.signHost({ publicKey: key.publicKey, principals: ['web-1'], ttl: '1h', criticalOptions: { forceCommand: 'true' } });
    expect(isClientError(withOptions)).toBe(true);
  });

  it('connects strictly to a host presenting a CA host certificate for its alias', async () => {
    const attempt = await connect(web1, { alias: 'web-1' });
    expect(attempt.code, attempt.stderr).toBe(0);
    expect(attempt.stdout).toBe(`${LOGIN}\n`);
    expect(attempt.stderr).toMatch(
      new RegExp(
        `^debug1: Server host certificate: ssh-ed25519-cert-v01@openssh\\.com SHA256:\\S+, serial ${web1Serial} ID "web-1" CA ssh-ed25519 ${escapeRegex(hostCaFingerprint)} valid from \\S+ to \\S+$`,
        'm',
      ),
    );
    expect(attempt.stderr).toMatch(/^debug1: Host 'web-1' is known and matches the ED25519-CERT host certificate\.$/m);
    expect(attempt.stderr).not.toMatch(/Permanently added|WARNING/);
  });

  it('connects strictly by the name localhost, matched against the certificate principals', async () => {
    const attempt = await connect(web1, { host: 'localhost' });
    expect(attempt.code, attempt.stderr).toBe(0);
    expect(attempt.stdout).toBe(`${LOGIN}\n`);
    expect(attempt.stderr).toMatch(new RegExp(`^debug1: Host '\\[localhost\\]:${web1.port}' is known and matches the ED25519-CERT host certificate\\.$`, 'm'));
  });

  it('refuses a CA host certificate issued for another host name', async () => {
    const attempt = await connect(web2, { alias: 'web-1' });
    expectHostRefused(attempt);
    expect(attempt.stderr).toMatch(/^Certificate invalid: name is not a listed principal$/m);
    expect(attempt.stderr).toMatch(/^No ED25519 host key is known for web-1 and you have requested strict checking\.$/m);
  });

  it('refuses a CA host certificate when the name used is not one of its principals', async () => {
    // web-1's certificate names web-1 and localhost, not the address.
    const attempt = await connect(web1, {});
    expectHostRefused(attempt);
    expect(attempt.stderr).toMatch(/^Certificate invalid: name is not a listed principal$/m);
    expect(attempt.stderr).toMatch(new RegExp(`^No ED25519 host key is known for \\[127\\.0\\.0\\.1\\]:${web1.port} and you have requested strict checking\\.$`, 'm'));
  });

  it('refuses a host certificate signed by another CA', async () => {
    const attempt = await connect(rogue, { alias: 'web-1' });
    expectHostRefused(attempt);
    const rogueCa = parseKeygenListing(await keygenList(join(dir, 'rogue-host-cert.pub'))).signingCaFingerprint;
    expect(rogueCa).not.toBe(hostCaFingerprint);
    expect(attempt.stderr).toMatch(
      new RegExp(`^debug1: Server host certificate: ssh-ed25519-cert-v01@openssh\\.com SHA256:\\S+, serial 1 ID "rogue" CA ssh-ed25519 ${escapeRegex(rogueCa)} `, 'm'),
    );
    expect(attempt.stderr).toMatch(/^No ED25519 host key is known for web-1 and you have requested strict checking\.$/m);
    expect(attempt.stderr).not.toMatch(/is known and matches/);
  });

  it('refuses a host certificate signed with the CA\'s user key', async () => {
    // The keys are separate: whoever holds the user CA cannot impersonate hosts.
    const attempt = await connect(userCaSigned, { alias: 'web-1' });
    expectHostRefused(attempt);
    const userCaFingerprint = fingerprint(parsePublicKey(ca.user[0]!.publicKey).blob);
    expect(userCaFingerprint).not.toBe(hostCaFingerprint);
    expect(attempt.stderr).toMatch(
      new RegExp(`^debug1: Server host certificate: ssh-ed25519-cert-v01@openssh\\.com SHA256:\\S+, serial 2 ID "signed-by-user-ca" CA ssh-ed25519 ${escapeRegex(userCaFingerprint)} `, 'm'),
    );
    expect(attempt.stderr).toMatch(/^No ED25519 host key is known for web-1 and you have requested strict checking\.$/m);
  });
});
