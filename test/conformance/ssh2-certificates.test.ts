/**
 * OpenSSH certificates through the patched ssh2 (patches/ssh2+1.17.0.patch) and the
 * gateway's `certificate-keys.ts`, against a real OpenSSH 9.2 sshd and ssh client:
 * - the ssh2 client logs in with a user certificate;
 * - the ssh2 server presents a host certificate that `ssh` trusts through `@cert-authority`;
 * - the ssh2 client negotiates a host certificate and hands it to `hostVerifier`.
 * Every key lives in memory except the ones sshd itself reads from disk.
 */
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  fingerprint,
  formatCertificate,
  formatPublicKey,
  generateCaKey,
  parseCertificate,
  parsePublicKey,
  signCertificate,
  verifyCertificate,
  type CaSigner,
  type CertType,
  type SshPublicKey,
} from '@access/sshcert';
import ssh2 from 'ssh2';
import type { ConnectConfig, ParsedKey, PublicKeyAuthMethod } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CertificateKeyError,
  ED25519_CERT_ALGORITHM,
  HOST_CERT_ALGORITHMS,
  clientKeyWithCertificate,
  hostKeyWithCertificate,
} from '../../services/gateway/src/ssh/certificate-keys.ts';
import { ensureUser } from '../support/linux-user.ts';
import { escapeRegex } from '../support/login-attempt.ts';
import { runSsh } from '../support/ssh-client.ts';
import { startSshd, type SshdHandle } from '../support/sshd.ts';
import { makeTempDir, removeDir } from '../support/temp-dir.ts';

const LOGIN = 'acc-ssh2cert';
/** The name every host certificate here is issued for. */
const HOST_NAME = 'target-1';
/** sshd's last line for a connection (see test/support/login-attempt.ts). */
const CONNECTION_END = /^(Connection closed by|Disconnected from|Connection reset by|Received disconnect from .*\[preauth\])/m;

/** An Ed25519 key pair in memory: the private half as OpenSSH text, as ssh2 reads it. */
function newKey(comment: string): { privateKeyText: string; publicKey: SshPublicKey } {
  const { signer, privateKeyText } = generateCaKey(comment);
  return { privateKeyText, publicKey: signer.publicKey };
}

let serial = 1n;
/** A certificate line, valid from 5 minutes ago for 10 minutes. */
function certify(publicKey: SshPublicKey, ca: CaSigner, type: CertType, keyId: string, principals: string[]): string {
  const now = BigInt(Math.floor(Date.now() / 1000));
  const cert = signCertificate(
    {
      type,
      publicKey,
      serial: serial++,
      keyId,
      principals,
      validAfter: now - 300n,
      validBefore: now + 600n,
      criticalOptions: {},
      extensions: type === 'user' ? ['permit-pty'] : [],
    },
    ca,
  );
  return formatCertificate(cert);
}

interface ExecResult {
  stdout: string;
  code: number | null;
}

/** Connects with the ssh2 client, runs one command and returns its output; rejects with ssh2's error. */
function ssh2Exec(config: ConnectConfig, command: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    const timer = setTimeout(() => fail(new Error('ssh2 exec timed out')), 15_000);
    function fail(error: Error): void {
      clearTimeout(timer);
      client.end();
      reject(error);
    }
    client.on('error', fail);
    client.on('ready', () => {
      client.exec(command, (error, stream) => {
        if (error) return fail(error);
        let stdout = '';
        let code: number | null = null;
        stream.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
        stream.stderr.resume();
        stream.on('exit', (exitCode: number | null) => (code = exitCode));
        stream.on('close', () => {
          clearTimeout(timer);
          client.end();
          resolve({ stdout, code });
        });
      });
    });
    client.connect({ readyTimeout: 10_000, ...config });
  });
}

interface Ssh2ServerHandle {
  port: number;
  /** What each connection reached: `handshake <host key algorithm>`, `auth <method>`, `exec <command>`. */
  events: string[];
  stop(): Promise<void>;
}

/**
 * An ssh2 server on 127.0.0.1 that lets anyone in without credentials (`none`): these tests
 * are about the host key. `exec` answers with the login name and the command it was given.
 */
function startSsh2Server(hostKeys: { key: ParsedKey }[]): Promise<Ssh2ServerHandle> {
  const events: string[] = [];
  const server = new ssh2.Server({ hostKeys }, (connection) => {
    let username = '';
    // A client that refuses the host key hangs up mid-handshake.
    connection.on('error', () => {});
    connection.on('handshake', (negotiated) => events.push(`handshake ${negotiated.serverHostKey}`));
    connection.on('authentication', (ctx) => {
      events.push(`auth ${ctx.method}`);
      username = ctx.username;
      if (ctx.method === 'none') ctx.accept();
      else ctx.reject(['none']);
    });
    connection.on('ready', () => {
      connection.on('session', (acceptSession) => {
        acceptSession().on('exec', (acceptExec, _reject, info) => {
          events.push(`exec ${info.command}`);
          const channel = acceptExec();
          channel.write(`${username} ran ${info.command}\n`);
          channel.exit(0);
          channel.end();
        });
      });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        events,
        stop: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

describe('OpenSSH certificates through the patched ssh2', () => {
  let dir: string;
  let userCa: CaSigner;
  let hostCa: CaSigner;
  let rogueHostCa: CaSigner;
  /** Trusts userCa; presents a host certificate from hostCa for target-1. */
  let target: SshdHandle;
  let targetHostCert: string;
  /** Trusts userCa; presents a host certificate for target-1 from a CA nobody trusts. */
  let rogueTarget: SshdHandle;
  /** Trusts userCa; presents its plain host key only. */
  let plainTarget: SshdHandle;

  /** The application's side of host certificates: hostCa, a host certificate, target-1, valid now. */
  function acceptTarget1(blob: Buffer): void {
    verifyCertificate(parseCertificate(blob), { trustedCaKeys: [hostCa.publicKey], type: 'host', principal: HOST_NAME, now: new Date() });
  }

  /** A recording `hostVerifier`: `check` throws to refuse. */
  function recordingVerifier(check: (blob: Buffer) => void): { seen: Buffer[]; refusals: unknown[]; verify: (blob: Buffer) => boolean } {
    const seen: Buffer[] = [];
    const refusals: unknown[] = [];
    return {
      seen,
      refusals,
      verify: (blob) => {
        seen.push(Buffer.from(blob));
        try {
          check(blob);
          return true;
        } catch (error) {
          refusals.push(error);
          return false;
        }
      },
    };
  }

  /** A new client key with a user certificate for LOGIN from `ca`, as an ssh2 publickey attempt. */
  function userCertAuth(keyId: string, ca: CaSigner = userCa): PublicKeyAuthMethod[] {
    const key = newKey(keyId);
    const method: PublicKeyAuthMethod = {
      type: 'publickey',
      username: LOGIN,
      key: clientKeyWithCertificate(key.privateKeyText, certify(key.publicKey, ca, 'user', keyId, [LOGIN])),
    };
    return [method];
  }

  beforeAll(async () => {
    dir = makeTempDir('ssh2-certs');
    await ensureUser(LOGIN);
    userCa = generateCaKey('user CA').signer;
    hostCa = generateCaKey('host CA').signer;
    rogueHostCa = generateCaKey('rogue host CA').signer;
    const trustedUserCaKeys = `${formatPublicKey(userCa.publicKey)}\n`;
    [target, rogueTarget, plainTarget] = await Promise.all([
      startSshd({
        trustedUserCaKeys,
        // DEBUG2: the only level at which sshd says a certificate's CA is unknown.
        logLevel: 'DEBUG2',
        hostCertificate: (hostPublicKey) => (targetHostCert = certify(parsePublicKey(hostPublicKey), hostCa, 'host', 'target-1', [HOST_NAME])),
      }),
      startSshd({
        trustedUserCaKeys,
        hostCertificate: (hostPublicKey) => certify(parsePublicKey(hostPublicKey), rogueHostCa, 'host', 'rogue', [HOST_NAME]),
      }),
      startSshd({ trustedUserCaKeys }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([target?.stop(), rogueTarget?.stop(), plainTarget?.stop()]);
    if (dir) removeDir(dir);
  });

  describe('ssh2 client with a user certificate', () => {
    it('logs in to sshd and runs a command as the certified login', async () => {
      const mark = target.logMark();
      const result = await ssh2Exec(
        { host: target.host, port: target.port, username: LOGIN, authHandler: userCertAuth('ssh2-client') },
        'id -un',
      );
      expect(result).toEqual({ stdout: `${LOGIN}\n`, code: 0 });
      const accepted = await target.waitForLog(/^Accepted publickey for .*$/m, 5000, mark);
      expect(accepted).toMatch(
        new RegExp(
          `^Accepted publickey for ${LOGIN} from 127\\.0\\.0\\.1 port \\d+ ssh2: ED25519-CERT SHA256:\\S+ ID ssh2-client \\(serial \\d+\\) CA ED25519 ${escapeRegex(fingerprint(userCa.publicKey.blob))}$`,
        ),
      );
    });

    it('is refused by sshd when the certificate is from a CA sshd does not trust', async () => {
      const otherCa = generateCaKey('other user CA').signer;
      const mark = target.logMark();
      const attempt = ssh2Exec(
        { host: target.host, port: target.port, username: LOGIN, authHandler: userCertAuth('wrong-ca', otherCa) },
        'id -un',
      );
      await expect(attempt).rejects.toThrow('All configured authentication methods failed');
      await target.waitForLog(CONNECTION_END, 5000, mark);
      const log = target.logText(mark);
      expect(log).toMatch(
        new RegExp(
          `^debug2: user_cert_trusted_ca: CA ED25519 ${escapeRegex(fingerprint(otherCa.publicKey.blob))} is not listed in ${escapeRegex(target.trustedUserCaKeysPath)}: key not found$`,
          'm',
        ),
      );
      expect(log).toMatch(new RegExp(`^Failed publickey for ${LOGIN} from 127\\.0\\.0\\.1 port \\d+ ssh2: ED25519-CERT SHA256:\\S+ ID wrong-ca \\(serial \\d+\\) CA ED25519 `, 'm'));
      expect(log).not.toMatch(/^Accepted /m);
    });

    it('refuses to pair a private key with a certificate for another key', () => {
      const key = newKey('mine');
      const other = newKey('theirs');
      const call = (): ParsedKey => clientKeyWithCertificate(key.privateKeyText, certify(other.publicKey, userCa, 'user', 'theirs', [LOGIN]));
      expect(call).toThrow(expect.objectContaining({ code: 'ERR_CERT_KEY_MISMATCH' }));
      expect(call).toThrow(CertificateKeyError);
      // A host certificate is not a user certificate.
      expect(() => clientKeyWithCertificate(key.privateKeyText, certify(key.publicKey, userCa, 'host', 'host', [LOGIN]))).toThrow(
        expect.objectContaining({ code: 'ERR_CERT_TYPE' }),
      );
    });
  });

  describe('ssh2 server presenting a host certificate to the OpenSSH client', () => {
    let gateway: Ssh2ServerHandle;
    let gatewayCertSerial: bigint;

    beforeAll(async () => {
      const hostKey = newKey('gateway host');
      const cert = certify(hostKey.publicKey, hostCa, 'host', 'gateway', [HOST_NAME]);
      gatewayCertSerial = parseCertificate(cert).serial;
      gateway = await startSsh2Server([hostKeyWithCertificate(hostKey.privateKeyText, cert)]);
    });

    afterAll(async () => {
      await gateway?.stop();
    });

    /** `ssh` with StrictHostKeyChecking=yes and a known_hosts holding only `@cert-authority target-1 <ca>`. */
    async function sshTo(caKey: SshPublicKey, name: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
      const knownHosts = join(dir, `known_hosts-${name}`);
      writeFileSync(knownHosts, `@cert-authority ${HOST_NAME} ${formatPublicKey(caKey)}\n`);
      gateway.events.length = 0;
      return runSsh({ port: gateway.port, user: 'alice', knownHosts, command: 'whoami', extraOptions: [`HostKeyAlias=${HOST_NAME}`, 'LogLevel=DEBUG1'] });
    }

    it('is trusted through @cert-authority with strict host key checking, no first-use prompt', async () => {
      const result = await sshTo(hostCa.publicKey, 'host-ca');
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe('alice ran whoami\n');
      expect(result.stderr).toMatch(
        new RegExp(
          `^debug1: Server host certificate: ${escapeRegex(ED25519_CERT_ALGORITHM)} SHA256:\\S+, serial ${gatewayCertSerial} ID "gateway" CA ssh-ed25519 ${escapeRegex(fingerprint(hostCa.publicKey.blob))} valid from \\S+ to \\S+$`,
          'm',
        ),
      );
      expect(result.stderr).toMatch(/^debug1: Host 'target-1' is known and matches the ED25519-CERT host certificate\.$/m);
      expect(result.stderr).not.toMatch(/Permanently added|WARNING/);
      expect(gateway.events).toEqual([`handshake ${ED25519_CERT_ALGORITHM}`, 'auth none', 'exec whoami']);
    });

    it('is refused when known_hosts names another CA', async () => {
      const result = await sshTo(rogueHostCa.publicKey, 'other-ca');
      expect(result.code, result.stderr).toBe(255);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^No ED25519 host key is known for target-1 and you have requested strict checking\.$/m);
      expect(result.stderr).toMatch(/^Host key verification failed\.$/m);
      expect(result.stderr).not.toMatch(/is known and matches/);
      // The client hung up in key exchange: the server never saw a login attempt.
      expect(gateway.events.filter((event) => !event.startsWith('handshake'))).toEqual([]);
    });
  });

  describe('ssh2 client accepting a host certificate from sshd', () => {
    function connectTo(sshd: SshdHandle, verify: (blob: Buffer) => boolean): Promise<ExecResult> {
      return ssh2Exec(
        {
          host: sshd.host,
          port: sshd.port,
          username: LOGIN,
          authHandler: userCertAuth(`host-check-${serial}`),
          algorithms: { serverHostKey: [...HOST_CERT_ALGORITHMS] },
          hostVerifier: verify,
        },
        'id -un',
      );
    }

    it('negotiates the certificate, hands the whole certificate to hostVerifier and logs in', async () => {
      const verifier = recordingVerifier(acceptTarget1);
      const result = await connectTo(target, verifier.verify);
      expect(result).toEqual({ stdout: `${LOGIN}\n`, code: 0 });
      expect(verifier.refusals).toEqual([]);
      expect(verifier.seen).toHaveLength(1);
      const seen = verifier.seen[0]!;
      expect(seen.equals(parseCertificate(targetHostCert).raw)).toBe(true);
      // The certificate is for the key sshd signs the key exchange with.
      expect(parseCertificate(seen).publicKey.blob.equals(parsePublicKey(target.hostPublicKey).blob)).toBe(true);
    });

    it('lets hostVerifier refuse a host certificate from another CA', async () => {
      const verifier = recordingVerifier(acceptTarget1);
      const mark = rogueTarget.logMark();
      await expect(connectTo(rogueTarget, verifier.verify)).rejects.toThrow('Host denied (verification failed)');
      expect(verifier.seen).toHaveLength(1);
      expect(parseCertificate(verifier.seen[0]!).signatureKey.blob.equals(rogueHostCa.publicKey.blob)).toBe(true);
      expect(verifier.refusals).toEqual([expect.objectContaining({ code: 'ERR_CERT_UNTRUSTED_CA' })]);
      await rogueTarget.waitForLog(CONNECTION_END, 5000, mark);
      expect(rogueTarget.logText(mark)).not.toMatch(/publickey/);
    });

    it('fails key exchange with a host that has no host certificate', async () => {
      const verifier = recordingVerifier(acceptTarget1);
      await expect(connectTo(plainTarget, verifier.verify)).rejects.toThrow(/no matching host key format/i);
      expect(verifier.seen).toEqual([]);
    });

    it('refuses a host that presents a trusted certificate but signs with another key', async () => {
      // An impostor with a copy of a valid certificate for target-1, but not its private key.
      const certified = newKey('real target-1');
      const stolen = parseCertificate(certify(certified.publicKey, hostCa, 'host', 'stolen', [HOST_NAME])).raw;
      const own = ssh2.utils.parseKey(newKey('impostor').privateKeyText);
      if (own instanceof Error) throw own;
      const impostorKey: ParsedKey = Object.create(own, {
        type: { value: ED25519_CERT_ALGORITHM },
        getPublicSSH: { value: () => stolen },
      });
      const impostor = await startSsh2Server([{ key: impostorKey }]);
      try {
        const verifier = recordingVerifier(acceptTarget1);
        const attempt = ssh2Exec({ host: '127.0.0.1', port: impostor.port, username: 'alice', algorithms: { serverHostKey: [...HOST_CERT_ALGORITHMS] }, hostVerifier: verifier.verify }, 'whoami');
        await expect(attempt).rejects.toThrow('signature verification failed');
        // The certificate itself passed the application's checks; only the signature gave it away.
        expect(verifier.seen).toHaveLength(1);
        expect(verifier.refusals).toEqual([]);
        expect(impostor.events.filter((event) => !event.startsWith('handshake'))).toEqual([]);
      } finally {
        await impostor.stop();
      }
    });
  });
});
