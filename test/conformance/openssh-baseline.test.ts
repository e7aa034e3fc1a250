/**
 * The fixtures against OpenSSH itself: certificates made by `ssh-keygen -s`, presented to
 * a real sshd. These pin the exact log lines OpenSSH 9.2 writes for each refusal, which the
 * CA's own conformance tests then expect; if this file fails, the environment changed, not
 * the CA.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureUser } from '../support/linux-user.ts';
import { attemptLogin, escapeRegex } from '../support/login-attempt.ts';
import { generateKeyPair, type KeyPair } from '../support/ssh-client.ts';
import { startSshAgent } from '../support/ssh-agent.ts';
import { startSshd, type SshdHandle } from '../support/sshd.ts';
import { fingerprintOf, keygenKrl, keygenSign } from '../support/ssh-keygen.ts';
import { makeTempDir, removeDir } from '../support/temp-dir.ts';

const LOGIN = 'acc-baseline';

describe('OpenSSH 9.2 baseline (ssh-keygen certificates)', () => {
  let dir: string;
  let ca: KeyPair;
  let otherCa: KeyPair;
  let caFingerprint: string;
  let sshd: SshdHandle;
  let serial = 100;

  /** A fresh client key with a certificate from `ssh-keygen -s`. */
  async function clientWithCert(name: string, options: Partial<Parameters<typeof keygenSign>[0]> = {}): Promise<KeyPair> {
    const key = await generateKeyPair(dir, name);
    await keygenSign({
      caKeyPath: ca.privateKeyPath,
      publicKeyPath: key.publicKeyPath,
      keyId: name,
      principals: [LOGIN],
      serial: serial++,
      validity: '-5m:+10m',
      ...options,
    });
    return key;
  }

  function login(key: KeyPair, command = 'id -un') {
    return attemptLogin(sshd, { user: LOGIN, identityFile: key.privateKeyPath, certificateFile: key.certificatePath, command });
  }

  beforeAll(async () => {
    dir = makeTempDir('baseline');
    await ensureUser(LOGIN);
    ca = await generateKeyPair(dir, 'user-ca');
    otherCa = await generateKeyPair(dir, 'other-ca');
    caFingerprint = await fingerprintOf(ca.publicKeyPath);
    const spec = join(dir, 'krl-spec');
    writeFileSync(spec, 'serial: 7\nid: revoked-by-id\n');
    const krl = await keygenKrl(join(dir, 'krl'), ca.publicKeyPath, spec);
    sshd = await startSshd({ trustedUserCaKeys: `${ca.publicKey}\n`, revokedKeys: krl, logLevel: 'DEBUG2' });
  });

  afterAll(async () => {
    await sshd?.stop();
    if (dir) removeDir(dir);
  });

  it('logs in with a certificate whose principal is the login', async () => {
    const key = await clientWithCert('good', { serial: 42 });
    const r = await login(key);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${LOGIN}\n`);
    expect(r.log).toMatch(
      new RegExp(`Accepted publickey for ${LOGIN} from 127\\.0\\.0\\.1 port \\d+ ssh2: ED25519-CERT SHA256:\\S+ ID good \\(serial 42\\) CA ED25519 ${escapeRegex(caFingerprint)}`),
    );
  });

  it('refuses an expired certificate', async () => {
    const r = await login(await clientWithCert('expired', { validity: '20200101:20200102' }));
    expect(r.code).toBe(255);
    expect(r.stderr).toContain('Permission denied (publickey)');
    expect(r.log).toMatch(/^Certificate invalid: expired$/m);
    expect(r.log).not.toContain('Accepted publickey');
  });

  it('refuses a certificate that is not valid yet', async () => {
    const r = await login(await clientWithCert('future', { validity: '+1d:+2d' }));
    expect(r.code).toBe(255);
    expect(r.log).toMatch(/^Certificate invalid: not yet valid$/m);
  });

  it('refuses a certificate for another principal', async () => {
    const r = await login(await clientWithCert('wrong-principal', { principals: ['acc-someone-else'] }));
    expect(r.code).toBe(255);
    expect(r.log).toMatch(/^Certificate invalid: name is not a listed principal$/m);
  });

  it('refuses a certificate with no principals', async () => {
    const r = await login(await clientWithCert('no-principals', { principals: [] }));
    expect(r.code).toBe(255);
    expect(r.log).toMatch(/^Certificate lacks principal list$/m);
  });

  it('refuses a certificate from a CA it does not trust', async () => {
    const key = await clientWithCert('from-other-ca', { caKeyPath: otherCa.privateKeyPath });
    const r = await login(key);
    expect(r.code).toBe(255);
    const otherFp = await fingerprintOf(otherCa.publicKeyPath);
    expect(r.log).toMatch(new RegExp(`user_cert_trusted_ca: CA ED25519 ${escapeRegex(otherFp)} is not listed in \\S+: key not found`));
  });

  it('refuses a certificate revoked by serial and one revoked by key id', async () => {
    for (const [name, options] of [
      ['by-serial', { serial: 7 }],
      ['revoked-by-id', { serial: 8 }],
    ] as const) {
      const key = await clientWithCert(name, options);
      const r = await login(key);
      expect(r.code).toBe(255);
      expect(r.log).toMatch(/^Authentication key ED25519-CERT SHA256:\S+ revoked by file \S+\/revoked_keys$/m);
      expect(r.log).toMatch(new RegExp(`Failed publickey for ${LOGIN} .* ID ${name} \\(serial ${options.serial}\\)`));
    }
  });

  it('refuses a certificate whose source-address excludes the client', async () => {
    const r = await login(await clientWithCert('source', { options: ['source-address=10.9.9.9/32'] }));
    expect(r.code).toBe(255);
    expect(r.log).toContain(
      `cert: Authentication tried for ${LOGIN} with valid certificate but not from a permitted source address (127.0.0.1).`,
    );
    expect(r.log).toMatch(/^Refused by certificate options$/m);
  });

  it('runs the forced command instead of the one asked for', async () => {
    const r = await login(await clientWithCert('forced', { options: ['force-command=echo forced-output'] }), 'echo asked');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('forced-output\n');
    expect(r.log).toMatch(new RegExp(`Starting session: forced-command \\(key-option\\) 'echo forced-output' for ${LOGIN} from 127\\.0\\.0\\.1`));
  });

  it('refuses a host certificate offered as a user certificate (through an agent)', async () => {
    const key = await clientWithCert('host-as-user', { host: true });
    const agent = await startSshAgent(dir);
    try {
      await agent.add(key.privateKeyPath);
      const r = await attemptLogin(sshd, { user: LOGIN, agentSocket: agent.socket, identitiesOnly: false, command: 'id -un' });
      expect(r.code).toBe(255);
      expect(r.log).toMatch(/^Certificate invalid: not a user certificate$/m);
      expect(r.log).toMatch(new RegExp(`Failed publickey for ${LOGIN} .*ED25519-CERT .* ID host-as-user`));
    } finally {
      await agent.stop();
    }
  });
});
