import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCaKey } from './ca-key.ts';
import type { CaSigner } from './ca-key.ts';
import { FOREVER, formatCertificate } from './certificate.ts';
import type { CertificateFields } from './certificate.ts';
import { parseCertificate } from './certificate-parse.ts';
import { signCertificate } from './certificate-sign.ts';
import { verifyCertificate } from './certificate-verify.ts';
import { fingerprint, parsePublicKey } from './public-key.ts';
import { TempDir, parseKeygenListing, sshKeygenOk } from './testing/ssh-keygen.ts';

const SUBJECTS: [string, string[]][] = [
  ['ed25519', ['-t', 'ed25519']],
  ['ecdsa256', ['-t', 'ecdsa', '-b', '256']],
  ['ecdsa384', ['-t', 'ecdsa', '-b', '384']],
  ['rsa3072', ['-t', 'rsa', '-b', '3072']],
];

const JAN_2024 = 1_704_067_200n;
const JAN_2030 = 1_893_456_000n;

describe('certificates we sign, as OpenSSH sees them', () => {
  let dir: TempDir;
  let ca: CaSigner;
  beforeAll(async () => {
    dir = await TempDir.create();
    ca = generateCaKey('ca').signer;
    await Promise.all(SUBJECTS.map(([name, args]) => dir.keygen(name, args)));
  });
  afterAll(() => dir.remove());

  it.each(SUBJECTS)('ssh-keygen -L shows exactly the fields we set on a %s user certificate', async (name) => {
    const publicKey = parsePublicKey(await dir.read(`${name}.pub`));
    const fields: CertificateFields = {
      type: 'user',
      publicKey,
      serial: 0x8000_0000_0000_0005n,
      keyId: `alice via access ${name}`,
      principals: ['alice', 'deploy'],
      validAfter: JAN_2024,
      validBefore: JAN_2030,
      criticalOptions: { 'source-address': '10.0.0.0/8,2001:db8::/32', 'force-command': '/usr/bin/rsync --server', 'verify-required': '' },
      extensions: ['permit-pty', 'permit-agent-forwarding', 'no-touch-required'],
    };
    const cert = signCertificate(fields, ca);
    const path = await dir.write(`${name}-user-cert.pub`, `${formatCertificate(cert, 'test')}\n`);
    const listed = parseKeygenListing(await sshKeygenOk(['-L', '-f', path]));
    expect(listed).toEqual({
      algorithm: `${publicKey.type}-cert-v01@openssh.com`,
      type: 'user',
      signingCa: `ED25519 ${fingerprint(ca.publicKey.blob)} (using ssh-ed25519)`,
      keyId: fields.keyId,
      serial: fields.serial,
      valid: 'from 2024-01-01T00:00:00 to 2030-01-01T00:00:00',
      principals: ['alice', 'deploy'],
      criticalOptions: fields.criticalOptions,
      extensions: ['no-touch-required', 'permit-agent-forwarding', 'permit-pty'],
    });
  });

  it.each(SUBJECTS)('ssh-keygen -L shows a %s host certificate valid forever with no options', async (name) => {
    const publicKey = parsePublicKey(await dir.read(`${name}.pub`));
    const cert = signCertificate(
      { type: 'host', publicKey, serial: 1n, keyId: 'web-1', principals: ['web-1.internal', '10.1.2.3'], validAfter: 0n, validBefore: FOREVER, criticalOptions: {}, extensions: [] },
      ca,
    );
    const path = await dir.write(`${name}-host-cert.pub`, `${formatCertificate(cert)}\n`);
    const listed = parseKeygenListing(await sshKeygenOk(['-L', '-f', path]));
    expect([listed.type, listed.valid, listed.principals, listed.criticalOptions, listed.extensions]).toEqual([
      'host',
      'forever',
      ['web-1.internal', '10.1.2.3'],
      {},
      [],
    ]);
  });
});

const CA_KEYS: [string, string[]][] = [
  ['ed25519', ['-t', 'ed25519']],
  ['ecdsa256', ['-t', 'ecdsa', '-b', '256']],
  ['ecdsa384', ['-t', 'ecdsa', '-b', '384']],
  ['rsa3072', ['-t', 'rsa', '-b', '3072']],
];

describe('certificates signed by ssh-keygen -s', () => {
  let dir: TempDir;
  beforeAll(async () => {
    dir = await TempDir.create();
    await Promise.all([...CA_KEYS.map(([name, args]) => dir.keygen(`ca-${name}`, args)), dir.keygen('subject', ['-t', 'ed25519'])]);
  });
  afterAll(() => dir.remove());

  it.each(CA_KEYS)('parse and verify with our code when the CA key is %s', async (name) => {
    const subject = `subject-${name}`;
    await dir.write(`${subject}.pub`, await dir.read('subject.pub'), 0o644);
    await sshKeygenOk([
      '-q', '-s', dir.file(`ca-${name}`), '-I', `issued by ${name}`, '-n', 'alice,bob', '-z', '4242',
      '-V', '20240101000000:20300101000000',
      '-O', 'clear', '-O', 'permit-pty', '-O', 'permit-port-forwarding',
      '-O', 'force-command=/bin/true', '-O', 'source-address=192.0.2.0/24', '-O', 'verify-required',
      dir.file(`${subject}.pub`),
    ]);
    const text = await dir.read(`${subject}-cert.pub`);
    const cert = parseCertificate(text);
    const caKey = parsePublicKey(await dir.read(`ca-${name}.pub`));
    expect({
      type: cert.type, serial: cert.serial, keyId: cert.keyId, principals: cert.principals, validAfter: cert.validAfter,
      validBefore: cert.validBefore, criticalOptions: cert.criticalOptions, extensions: cert.extensions,
    }).toEqual({
      type: 'user', serial: 4242n, keyId: `issued by ${name}`, principals: ['alice', 'bob'], validAfter: JAN_2024,
      validBefore: JAN_2030, criticalOptions: { 'force-command': '/bin/true', 'source-address': '192.0.2.0/24', 'verify-required': '' },
      extensions: ['permit-port-forwarding', 'permit-pty'],
    });
    expect(cert.signatureKey.blob.equals(caKey.blob)).toBe(true);
    expect(cert.publicKey.blob.equals(parsePublicKey(await dir.read('subject.pub')).blob)).toBe(true);
    expect(formatCertificate(cert, text.trim().split(' ')[2])).toBe(text.trim());
    expect(() => verifyCertificate(cert, { trustedCaKeys: [caKey], type: 'user', now: JAN_2024 + 10n, principal: 'bob' })).not.toThrow();
  });

  it('parses and verifies a host certificate made with -h', async () => {
    await sshKeygenOk(['-q', '-s', dir.file('ca-ed25519'), '-h', '-I', 'host', '-n', 'db.example.com', dir.file('subject.pub')]);
    const cert = parseCertificate(Buffer.from(await dir.read('subject-cert.pub')));
    expect(cert.type).toBe('host');
    expect(cert.validBefore).toBe(FOREVER);
    const caKey = parsePublicKey(await dir.read('ca-ed25519.pub'));
    expect(() => verifyCertificate(cert, { trustedCaKeys: [caKey], type: 'host', now: new Date(), principal: 'db.example.com' })).not.toThrow();
  });
});
