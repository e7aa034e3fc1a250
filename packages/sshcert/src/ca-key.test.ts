import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCaKey, loadCaKey } from './ca-key.ts';
import { FOREVER, formatCertificate } from './certificate.ts';
import { signCertificate } from './certificate-sign.ts';
import { SshCertError } from './errors.ts';
import { fingerprint, formatPublicKey, parsePublicKey } from './public-key.ts';
import { TempDir, parseKeygenListing, sshKeygenOk } from './testing/ssh-keygen.ts';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof SshCertError) return error.code;
    throw error;
  }
  throw new Error('expected an SshCertError');
}

describe('CA keys', () => {
  let dir: TempDir;
  beforeAll(async () => {
    dir = await TempDir.create();
  });
  afterAll(() => dir.remove());

  it('writes a private key that ssh-keygen -y reads back to our public key', async () => {
    const { signer, privateKeyText } = generateCaKey('access-ca');
    expect(privateKeyText.startsWith('-----BEGIN OPENSSH PRIVATE KEY-----\n')).toBe(true);
    const path = await dir.write('generated', privateKeyText, 0o600);
    const derived = await sshKeygenOk(['-y', '-f', path]);
    expect(parsePublicKey(derived).blob.equals(signer.publicKey.blob)).toBe(true);
    expect(signer.publicKey.comment).toBe('access-ca');
  });

  it('loads its own generated key back to the same public key', () => {
    const { signer, privateKeyText } = generateCaKey();
    expect(loadCaKey(privateKeyText).publicKey.blob.equals(signer.publicKey.blob)).toBe(true);
  });

  it('loads an ssh-keygen Ed25519 key and signs certificates ssh-keygen shows as signed by it', async () => {
    const caPath = await dir.keygen('ca', ['-t', 'ed25519']);
    const signer = loadCaKey(await dir.read('ca'));
    expect(formatPublicKey(signer.publicKey, '')).toBe((await dir.read('ca.pub')).split(' ').slice(0, 2).join(' '));
    await dir.keygen('user', ['-t', 'ed25519']);
    const cert = signCertificate(
      {
        type: 'user',
        publicKey: parsePublicKey(await dir.read('user.pub')),
        serial: 5n,
        keyId: 'loaded',
        principals: ['alice'],
        validAfter: 0n,
        validBefore: FOREVER,
        criticalOptions: {},
        extensions: [],
      },
      signer,
    );
    const certPath = await dir.write('user-cert.pub', `${formatCertificate(cert)}\n`);
    const listed = parseKeygenListing(await sshKeygenOk(['-L', '-f', certPath]));
    const caFingerprint = (await sshKeygenOk(['-lf', `${caPath}.pub`])).split(' ')[1];
    expect(listed.signingCa).toBe(`ED25519 ${caFingerprint} (using ssh-ed25519)`);
    expect(fingerprint(signer.publicKey.blob)).toBe(caFingerprint);
  });

  it('refuses a passphrase-protected key and tells how to decrypt it', async () => {
    await dir.keygen('locked', ['-t', 'ed25519'], 'secret');
    const text = await dir.read('locked');
    expect(codeOf(() => loadCaKey(text))).toBe('ERR_KEY_ENCRYPTED');
    expect(() => loadCaKey(text)).toThrow('ssh-keygen -p');
  });

  it('refuses non-Ed25519 CA keys in both OpenSSH and PEM form', async () => {
    await dir.keygen('ecdsa', ['-t', 'ecdsa']);
    expect(codeOf(() => loadCaKey(readFileSync(dir.file('ecdsa'), 'utf8')))).toBe('ERR_KEY_UNSUPPORTED');
    await dir.keygen('rsa-pem', ['-t', 'rsa', '-b', '3072', '-m', 'PEM']);
    expect(codeOf(() => loadCaKey(readFileSync(dir.file('rsa-pem'), 'utf8')))).toBe('ERR_KEY_UNSUPPORTED');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(codeOf(() => loadCaKey(ec))).toBe('ERR_KEY_UNSUPPORTED');
    expect(codeOf(() => loadCaKey('not a key'))).toBe('ERR_KEY_MALFORMED');
  });

  it('loads a PKCS#8 Ed25519 key and refuses an encrypted PKCS#8 key', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(loadCaKey(pem).publicKey.type).toBe('ssh-ed25519');
    const encrypted = privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'x' }).toString();
    expect(codeOf(() => loadCaKey(encrypted))).toBe('ERR_KEY_ENCRYPTED');
  });

  // The generated key's private section ends: seed (32), public (32), empty comment (4), padding (5).
  it.each([
    ['its public copy inside the secret key', 9 + 20],
    ['its seed, so the halves no longer match', 9 + 60],
  ])('refuses a key corrupted in %s without putting key bytes in the error', (_, fromEnd) => {
    const { privateKeyText } = generateCaKey();
    const lines = privateKeyText.trim().split('\n');
    const body = Buffer.from(lines.slice(1, -1).join(''), 'base64');
    body.writeUInt8(body.readUInt8(body.length - fromEnd) ^ 0xff, body.length - fromEnd);
    const corrupted = `${lines[0]}\n${body.toString('base64')}\n${lines.at(-1)}\n`;
    let message = '';
    try {
      loadCaKey(corrupted);
    } catch (error) {
      expect(error).toBeInstanceOf(SshCertError);
      expect((error as SshCertError).code).toBe('ERR_KEY_MALFORMED');
      message = (error as SshCertError).message;
    }
    expect(message).toMatch(/malformed/);
    expect(message).not.toMatch(/[A-Za-z0-9+/]{16,}/);
  });
});
