/**
 * User certificates from the CA, presented by the OpenSSH client to a real OpenSSH 9.2
 * sshd that trusts the CA's user keys (`GET /v1/ca`) and its revocation list (`GET /v1/krl`).
 * Every case checks both ends: the client's exit status and the reason sshd logs.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprint, generateCaKey, loadCaKey, type CaSigner } from '@access/sshcert';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessApi, isClientError, type IssuedCertificate } from '../support/access-api.ts';
import { accessCliBytes, accessCliOk, findCaKeyFile, initDataDir, startAccessServer, type AccessServerHandle } from '../support/access-server.ts';
import { craftCertificate, unixNow } from '../support/crafted-certs.ts';
import { ensureUser } from '../support/linux-user.ts';
import { attemptLogin, escapeRegex, expectAccepted, expectRefused, type LoginAttempt } from '../support/login-attempt.ts';
import { generateKeyPair, type KeyPair } from '../support/ssh-client.ts';
import { startSshAgent } from '../support/ssh-agent.ts';
import { startSshd, type SshdHandle } from '../support/sshd.ts';
import { fingerprintOf, keygenList, krlRevokes, parseKeygenListing } from '../support/ssh-keygen.ts';
import { makeTempDir, removeDir } from '../support/temp-dir.ts';

const LOGIN = 'acc-ucert';

describe('user certificates from the CA against OpenSSH sshd', () => {
  let dir: string;
  let dataDir: string;
  let server: AccessServerHandle;
  let api: AccessApi;
  let sshd: SshdHandle;
  let userCa: CaSigner;
  let userCaFingerprint: string;
  let hostCaFingerprint: string;
  /** Serials for hand-made certificates: far from the CA's, so a KRL entry for one never hits another. */
  let craftedSerial = 9_000_000_000n;

  /** A fresh client key pair: every case gets its own, so no case can pass on another's certificate. */
  const newKey = (name: string): Promise<KeyPair> => generateKeyPair(dir, name);

  /** A key with a certificate from POST /v1/certs/user, written where OpenSSH expects it. */
  async function issuedKey(name: string, request: Partial<Parameters<AccessApi['issueUser']>[0]> = {}): Promise<{ key: KeyPair; cert: IssuedCertificate }> {
    const key = await newKey(name);
    const cert = await api.issueUser({ publicKey: key.publicKey, principals: [LOGIN], ttl: '10m', keyId: name, ...request });
    writeFileSync(key.certificatePath, `${cert.certificate}\n`);
    return { key, cert };
  }

  function login(key: KeyPair, command = 'id -un'): Promise<LoginAttempt> {
    return attemptLogin(sshd, { user: LOGIN, identityFile: key.privateKeyPath, certificateFile: key.certificatePath, command });
  }

  /** Fetches GET /v1/krl, checks it is a KRL OpenSSH can read, and installs it in sshd. */
  async function installKrl(): Promise<string> {
    const krl = await api.krl();
    const copy = join(dir, `krl-${randomBytes(4).toString('hex')}`);
    writeFileSync(copy, krl);
    sshd.writeRevokedKeys(krl);
    return copy;
  }

  beforeAll(async () => {
    dir = makeTempDir('user-certs');
    dataDir = join(dir, 'ca-data');
    await ensureUser(LOGIN);
    const { token } = await initDataDir(dataDir);
    server = await startAccessServer(dataDir);
    api = new AccessApi(server.url, token);

    const ca = await api.ca();
    expect(ca.user.length).toBeGreaterThan(0);
    const userCaLine = ca.user[0]!.publicKey;
    userCa = loadCaKey(readFileSync(await findCaKeyFile(dataDir, userCaLine), 'utf8'));
    writeFileSync(join(dir, 'user-ca.pub'), `${userCaLine}\n`);
    writeFileSync(join(dir, 'host-ca.pub'), `${ca.host[0]!.publicKey}\n`);
    userCaFingerprint = await fingerprintOf(join(dir, 'user-ca.pub'));
    hostCaFingerprint = await fingerprintOf(join(dir, 'host-ca.pub'));

    sshd = await startSshd({
      trustedUserCaKeys: ca.user.map((k) => `${k.publicKey}\n`).join(''),
      revokedKeys: await api.krl(),
      // DEBUG2: the only level at which sshd says why a certificate from an unknown CA failed.
      logLevel: 'DEBUG2',
    });
  }, 180_000);

  afterAll(async () => {
    await sshd?.stop();
    await server?.stop();
    if (dir) removeDir(dir);
  });

  it('publishes user CA keys with OpenSSH fingerprints', async () => {
    const ca = await api.ca();
    expect(ca.user[0]!.fingerprint).toBe(userCaFingerprint);
    expect(ca.host[0]!.fingerprint).toBe(hostCaFingerprint);
    expect(userCaFingerprint).not.toBe(hostCaFingerprint);
  });

  it('logs in with a certificate for the granted principal', async () => {
    const { key, cert } = await issuedKey('granted');
    expect(cert.principals).toEqual([LOGIN]);
    const attempt = await login(key);
    expectAccepted(attempt, { login: LOGIN, keyId: 'granted', serial: cert.serial, caFingerprint: userCaFingerprint });
    expect(attempt.stdout).toBe(`${LOGIN}\n`);
    expect(attempt.log).toMatch(
      new RegExp(`^Accepted certificate ID "granted" \\(serial ${cert.serial}\\) signed by ED25519 CA ${escapeRegex(userCaFingerprint)} via ${escapeRegex(sshd.trustedUserCaKeysPath)}$`, 'm'),
    );
  });

  describe('certificates the API will not issue (made with the low-level encoder)', () => {
    it('refuses an expired certificate', async () => {
      const key = await newKey('expired');
      // The API has no validity window, only a positive ttl.
      for (const ttl of [0, '0s', -600, '-10m']) {
        expect(isClientError(await api.signUser({ publicKey: key.publicKey, principals: [LOGIN], ttl })), `ttl ${ttl}`).toBe(true);
      }
      const serial = craftedSerial++;
      craftCertificate(key, userCa, { keyId: 'expired', serial, principals: [LOGIN], validAfter: unixNow() - 7200n, validBefore: unixNow() - 3600n });
      expectRefused(await login(key), { login: LOGIN, keyId: 'expired', serial, reason: /^Certificate invalid: expired$/m });
    });

    it('refuses a certificate that is not valid yet', async () => {
      const key = await newKey('not-yet-valid');
      // Whatever a caller sends, the API never issues a certificate that starts in the future.
      const later = new Date(Date.now() + 3600_000).toISOString();
      const response = await api.signUser({ publicKey: key.publicKey, principals: [LOGIN], ttl: '10m', validAfter: later });
      if (response.status === 201 && !('error' in response.body)) {
        expect(Date.parse(response.body.validAfter)).toBeLessThanOrEqual(Date.now());
      } else {
        expect(isClientError(response)).toBe(true);
      }
      const serial = craftedSerial++;
      craftCertificate(key, userCa, { keyId: 'not-yet-valid', serial, principals: [LOGIN], validAfter: unixNow() + 3600n, validBefore: unixNow() + 7200n });
      expectRefused(await login(key), { login: LOGIN, keyId: 'not-yet-valid', serial, reason: /^Certificate invalid: not yet valid$/m });
    });

    it('refuses a certificate with no principals', async () => {
      const key = await newKey('no-principals');
      expect(isClientError(await api.signUser({ publicKey: key.publicKey, principals: [], ttl: '10m' }))).toBe(true);
      const serial = craftedSerial++;
      craftCertificate(key, userCa, { keyId: 'no-principals', serial, principals: [] });
      expectRefused(await login(key), { login: LOGIN, keyId: 'no-principals', serial, reason: /^Certificate lacks principal list$/m });
    });

    it('refuses a certificate from a CA it does not trust', async () => {
      const key = await newKey('other-ca');
      const other = generateCaKey('some other CA').signer;
      const serial = craftedSerial++;
      craftCertificate(key, other, { keyId: 'other-ca', serial, principals: [LOGIN] });
      const attempt = await login(key);
      expectRefused(attempt, {
        login: LOGIN,
        keyId: 'other-ca',
        serial,
        reason: new RegExp(`^debug2: user_cert_trusted_ca: CA ED25519 ${escapeRegex(fingerprint(other.publicKey.blob))} is not listed in ${escapeRegex(sshd.trustedUserCaKeysPath)}: key not found$`, 'm'),
      });
    });

    it('refuses a host certificate presented as a user certificate', async () => {
      const key = await newKey('host-as-user');
      // The user endpoint has no way to ask for a host certificate.
      const response = await api.signUser({ publicKey: key.publicKey, principals: [LOGIN], ttl: '10m', type: 'host' });
      if (response.status === 201 && !('error' in response.body)) {
        writeFileSync(join(dir, 'typed-cert.pub'), `${response.body.certificate}\n`);
        expect(parseKeygenListing(await keygenList(join(dir, 'typed-cert.pub'))).certType).toBe('user');
      } else {
        expect(isClientError(response)).toBe(true);
      }
      // Signed by the user CA, so only the type is wrong. ssh only offers it from an agent.
      const serial = craftedSerial++;
      craftCertificate(key, userCa, { type: 'host', keyId: 'host-as-user', serial, principals: [LOGIN], extensions: [] });
      const agent = await startSshAgent(dir);
      try {
        await agent.add(key.privateKeyPath);
        const attempt = await attemptLogin(sshd, { user: LOGIN, agentSocket: agent.socket, identitiesOnly: false, command: 'id -un' });
        expectRefused(attempt, { login: LOGIN, keyId: 'host-as-user', serial, reason: /^Certificate invalid: not a user certificate$/m });
      } finally {
        await agent.stop();
      }
    });
  });

  it('refuses a host certificate from POST /v1/certs/host presented as a user certificate', async () => {
    const key = await newKey('api-host-cert');
    const cert = await api.issueHost({ publicKey: key.publicKey, principals: [LOGIN], ttl: '1h', keyId: 'api-host-cert' });
    writeFileSync(key.certificatePath, `${cert.certificate}\n`);
    const listing = parseKeygenListing(await keygenList(key.certificatePath));
    expect(listing.certType).toBe('host');
    expect(listing.signingCaFingerprint).toBe(hostCaFingerprint);
    const agent = await startSshAgent(dir);
    try {
      await agent.add(key.privateKeyPath);
      const attempt = await attemptLogin(sshd, { user: LOGIN, agentSocket: agent.socket, identitiesOnly: false, command: 'id -un' });
      // Signed by the host CA, which sshd does not trust for users: refused before its type is looked at.
      expectRefused(attempt, {
        login: LOGIN,
        keyId: 'api-host-cert',
        serial: cert.serial,
        reason: new RegExp(`^debug2: user_cert_trusted_ca: CA ED25519 ${escapeRegex(hostCaFingerprint)} is not listed in `, 'm'),
      });
    } finally {
      await agent.stop();
    }
  });

  it('refuses a certificate for a principal other than the login', async () => {
    const { key, cert } = await issuedKey('wrong-principal', { principals: ['acc-someone-else'] });
    expectRefused(await login(key), {
      login: LOGIN,
      keyId: 'wrong-principal',
      serial: cert.serial,
      reason: /^Certificate invalid: name is not a listed principal$/m,
    });
  });

  it('refuses a certificate whose source-address excludes the client, and accepts one that includes it', async () => {
    const far = await issuedKey('source-far', { criticalOptions: { sourceAddress: '10.9.9.9/32' } });
    const attempt = await login(far.key);
    expectRefused(attempt, {
      login: LOGIN,
      keyId: 'source-far',
      serial: far.cert.serial,
      reason: new RegExp(`^cert: Authentication tried for ${LOGIN} with valid certificate but not from a permitted source address \\(127\\.0\\.0\\.1\\)\\.$`, 'm'),
    });
    expect(attempt.log).toMatch(/^Refused by certificate options$/m);

    const near = await issuedKey('source-near', { criticalOptions: { sourceAddress: '10.9.9.9/32,127.0.0.1/32' } });
    expectAccepted(await login(near.key), { login: LOGIN, keyId: 'source-near', serial: near.cert.serial, caFingerprint: userCaFingerprint });
  });

  it('runs the force-command instead of the command the client asked for', async () => {
    const { key, cert } = await issuedKey('forced', { criticalOptions: { forceCommand: 'echo forced-by-ca' } });
    const attempt = await login(key, 'echo asked-by-client');
    expectAccepted(attempt, { login: LOGIN, keyId: 'forced', serial: cert.serial, caFingerprint: userCaFingerprint });
    expect(attempt.stdout).toBe('forced-by-ca\n');
    expect(attempt.log).toMatch(
      new RegExp(`^Starting session: forced-command \\(key-option\\) 'echo forced-by-ca' for ${LOGIN} from 127\\.0\\.0\\.1 port \\d+ id 0$`, 'm'),
    );
  });

  it('grants a terminal by default (permit-pty) and none when the certificate has no extensions', async () => {
    const withPty = await issuedKey('with-pty');
    const granted = await attemptLogin(sshd, {
      user: LOGIN,
      identityFile: withPty.key.privateKeyPath,
      certificateFile: withPty.key.certificatePath,
      command: 'tty',
      tty: true,
    });
    expectAccepted(granted, { login: LOGIN, keyId: 'with-pty', serial: withPty.cert.serial, caFingerprint: userCaFingerprint });
    expect(granted.stdout).toMatch(/^\/dev\/pts\/\d+\r?\n$/);
    expect(granted.log).toMatch(new RegExp(`^Starting session: command on pts/\\d+ for ${LOGIN} from 127\\.0\\.0\\.1 port \\d+ id 0$`, 'm'));

    const noPty = await issuedKey('without-pty', { extensions: [] });
    const denied = await attemptLogin(sshd, {
      user: LOGIN,
      identityFile: noPty.key.privateKeyPath,
      certificateFile: noPty.key.certificatePath,
      command: 'tty',
      tty: true,
    });
    // Authentication succeeds; the terminal is what sshd refuses, and ssh -tt gives up.
    expect(denied.log).toMatch(new RegExp(`^Accepted publickey for ${LOGIN} .* ID without-pty \\(serial ${noPty.cert.serial}\\)`, 'm'));
    expect(denied.stderr).toMatch(/^PTY allocation request failed on channel 0$/m);
    expect(denied.code).toBe(255);
    expect(denied.log).toMatch(new RegExp(`^Starting session: command for ${LOGIN} from 127\\.0\\.0\\.1 port \\d+ id 0$`, 'm'));
    expect(denied.log).not.toMatch(/on pts\//);
  });

  it('refuses a certificate revoked by serial once the KRL from /v1/krl is installed', async () => {
    const victim = await issuedKey('revoke-by-serial');
    const bystander = await issuedKey('not-revoked-1');
    expectAccepted(await login(victim.key), { login: LOGIN, keyId: 'revoke-by-serial', serial: victim.cert.serial, caFingerprint: userCaFingerprint });

    const revoked = await api.revoke({ serial: victim.cert.serial, reason: 'conformance: by serial' });
    expect(revoked.status).toBe(201);
    const krl = await installKrl();
    expect(await krlRevokes(krl, victim.key.certificatePath)).toBe(true);
    expect(await krlRevokes(krl, bystander.key.certificatePath)).toBe(false);

    const keyFingerprint = await fingerprintOf(victim.key.publicKeyPath);
    expectRefused(await login(victim.key), {
      login: LOGIN,
      keyId: 'revoke-by-serial',
      serial: victim.cert.serial,
      reason: new RegExp(`^Authentication key ED25519-CERT ${escapeRegex(keyFingerprint)} revoked by file ${escapeRegex(sshd.revokedKeysPath)}$`, 'm'),
    });
    // The KRL names one certificate, not the CA or the whole serial space.
    expectAccepted(await login(bystander.key), { login: LOGIN, keyId: 'not-revoked-1', serial: bystander.cert.serial, caFingerprint: userCaFingerprint });
  });

  it('refuses every certificate with a key id revoked by key id', async () => {
    const keyId = `revoke-by-id-${randomBytes(3).toString('hex')}`;
    const first = await issuedKey('revoke-by-id-a', { keyId });
    const second = await issuedKey('revoke-by-id-b', { keyId });
    const bystander = await issuedKey('not-revoked-2');
    expectAccepted(await login(first.key), { login: LOGIN, keyId, serial: first.cert.serial, caFingerprint: userCaFingerprint });

    expect((await api.revoke({ keyId, reason: 'conformance: by key id' })).status).toBe(201);
    const krl = await installKrl();
    expect(await krlRevokes(krl, first.key.certificatePath)).toBe(true);
    expect(await krlRevokes(krl, bystander.key.certificatePath)).toBe(false);

    for (const { key, cert } of [first, second]) {
      const keyFingerprint = await fingerprintOf(key.publicKeyPath);
      expectRefused(await login(key), {
        login: LOGIN,
        keyId,
        serial: cert.serial,
        reason: new RegExp(`^Authentication key ED25519-CERT ${escapeRegex(keyFingerprint)} revoked by file ${escapeRegex(sshd.revokedKeysPath)}$`, 'm'),
      });
    }
    expectAccepted(await login(bystander.key), { login: LOGIN, keyId: 'not-revoked-2', serial: bystander.cert.serial, caFingerprint: userCaFingerprint });
  });

  it('publishes trustedUserCaKeys for targets: the upstream CA only, which a user certificate cannot pass', async () => {
    const ca = await api.ca();
    const keyOf = (line: string): string => line.split(/\s+/).slice(0, 2).join(' ');
    const published = ca.trustedUserCaKeys.split('\n').filter(Boolean).map(keyOf);
    expect(published).toEqual(ca.upstream.map((k) => keyOf(k.publicKey)));
    for (const k of ca.user) expect(published).not.toContain(keyOf(k.publicKey));

    // A target configured from the CA: an engineer's certificate cannot bypass the gateway…
    const target = await startSshd({ trustedUserCaKeys: ca.trustedUserCaKeys, logLevel: 'DEBUG2' });
    try {
      const { key, cert } = await issuedKey('user-cert-at-target');
      const refused = await attemptLogin(target, { user: LOGIN, identityFile: key.privateKeyPath, certificateFile: key.certificatePath, command: 'id -un' });
      expectRefused(refused, {
        login: LOGIN,
        keyId: 'user-cert-at-target',
        serial: cert.serial,
        reason: new RegExp(`^debug2: user_cert_trusted_ca: CA ED25519 ${escapeRegex(userCaFingerprint)} is not listed in ${escapeRegex(target.trustedUserCaKeysPath)}: key not found$`, 'm'),
      });

      // …while a certificate from the upstream CA (what the gateway gets per session) logs in.
      const upstreamLine = ca.upstream[0]!.publicKey;
      const upstream = loadCaKey(readFileSync(await findCaKeyFile(dataDir, upstreamLine), 'utf8'));
      const sessionKey = await newKey('upstream-session');
      const serial = craftedSerial++;
      craftCertificate(sessionKey, upstream, { keyId: 'upstream-session', serial, principals: [LOGIN], criticalOptions: { 'source-address': '127.0.0.1/32' } });
      const accepted = await attemptLogin(target, {
        user: LOGIN,
        identityFile: sessionKey.privateKeyPath,
        certificateFile: sessionKey.certificatePath,
        command: 'id -un',
      });
      expectAccepted(accepted, { login: LOGIN, keyId: 'upstream-session', serial, caFingerprint: fingerprint(upstream.publicKey.blob) });
      expect(accepted.stdout).toBe(`${LOGIN}\n`);
    } finally {
      await target.stop();
    }
  });

  it('logs in with a certificate from the offline CLI (ca sign-user), refused once ca revoke + ca krl revoke it', async () => {
    const offlineDir = join(dir, 'offline-ca');
    await accessCliOk(offlineDir, ['ca', 'init']);
    const keys = (await accessCliOk(offlineDir, ['ca', 'keys'])).stdout;
    const userLines = keys.split('\n').filter((l) => l.startsWith('user ')).map((l) => l.slice('user '.length));
    expect(userLines.length).toBeGreaterThan(0);
    expect(keys).toMatch(/^host ssh-ed25519 /m);
    expect(keys).toMatch(/^upstream ssh-ed25519 /m);

    const key = await newKey('offline-cli');
    const signed = await accessCliOk(offlineDir, ['ca', 'sign-user', '--public-key', key.publicKeyPath, '--principals', LOGIN, '--ttl', '10m', '--key-id', 'offline-cli']);
    const certLine = signed.stdout.trim();
    expect(certLine).toMatch(/^ssh-ed25519-cert-v01@openssh\.com \S+/);
    writeFileSync(key.certificatePath, `${certLine}\n`);
    const listing = parseKeygenListing(await keygenList(key.certificatePath));

    const offlineSshd = await startSshd({
      trustedUserCaKeys: userLines.map((l) => `${l}\n`).join(''),
      revokedKeys: await accessCliBytes(offlineDir, ['ca', 'krl']),
    });
    try {
      writeFileSync(join(dir, 'offline-user-ca.pub'), `${userLines[0]}\n`);
      const attempt = await attemptLogin(offlineSshd, {
        user: LOGIN,
        identityFile: key.privateKeyPath,
        certificateFile: key.certificatePath,
        command: 'id -un',
      });
      expectAccepted(attempt, {
        login: LOGIN,
        keyId: 'offline-cli',
        serial: listing.serial,
        caFingerprint: await fingerprintOf(join(dir, 'offline-user-ca.pub')),
      });
      expect(attempt.stdout).toBe(`${LOGIN}\n`);
      // The main sshd does not trust another data dir's CA.
      expect((await login(key)).code).toBe(255);

      await accessCliOk(offlineDir, ['ca', 'revoke', '--serial', listing.serial, '--reason', 'conformance: offline']);
      offlineSshd.writeRevokedKeys(await accessCliBytes(offlineDir, ['ca', 'krl']));
      const refused = await attemptLogin(offlineSshd, {
        user: LOGIN,
        identityFile: key.privateKeyPath,
        certificateFile: key.certificatePath,
        command: 'id -un',
      });
      expectRefused(refused, {
        login: LOGIN,
        keyId: 'offline-cli',
        serial: listing.serial,
        reason: new RegExp(`^Authentication key ED25519-CERT ${escapeRegex(await fingerprintOf(key.publicKeyPath))} revoked by file ${escapeRegex(offlineSshd.revokedKeysPath)}$`, 'm'),
      });
    } finally {
      await offlineSshd.stop();
    }
    // Six offline CLI runs, each opening the embedded database: slow on a loaded machine.
  }, 240_000);
});
