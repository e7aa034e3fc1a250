import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCaKey, loadCaKey } from './ca-key.ts';
import type { CaSigner } from './ca-key.ts';
import { formatPublicKey, parsePublicKey } from './public-key.ts';
import { parseSshSig, signSshSig, verifySshSig } from './sshsig.ts';
import { SshSigError } from './sshsig-error.ts';
import { TempDir, sshKeygenOk } from './testing/ssh-keygen.ts';
import { WireWriter } from './wire-writer.ts';

const NAMESPACE = 'access-audit-export@access';
const MESSAGE = Buffer.from('{"count":3,"lastHash":"ab12"}\nsecond line\n');

/** `ssh-keygen -Y verify`, the message on stdin as OpenSSH wants it; resolves with the exit code and output. */
function keygenVerify(dir: TempDir, args: readonly string[], message: Buffer): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh-keygen', ['-Y', 'verify', ...args], { cwd: dir.path, env: { ...process.env, LC_ALL: 'C' } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(message);
  });
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof SshSigError) return error.code;
    throw error;
  }
  throw new Error('expected an SshSigError');
}

describe('SSH signatures (PROTOCOL.sshsig), against OpenSSH', () => {
  let dir: TempDir;
  let ca: CaSigner;
  beforeAll(async () => {
    dir = await TempDir.create();
    ca = generateCaKey('access user CA').signer;
    await dir.write('allowed_signers', `audit@access namespaces="${NAMESPACE}" ${formatPublicKey(ca.publicKey)}\n`);
  });
  afterAll(() => dir.remove());

  const verifyWithKeygen = async (signature: string, message: Buffer, namespace = NAMESPACE) => {
    await dir.write('manifest.json.sig', signature);
    return keygenVerify(dir, ['-f', 'allowed_signers', '-I', 'audit@access', '-n', namespace, '-s', 'manifest.json.sig'], message);
  };

  it('makes a signature that ssh-keygen -Y verify accepts for the signer named in allowed_signers', async () => {
    const signature = signSshSig(ca, MESSAGE, NAMESPACE);
    expect(signature).toMatch(/^-----BEGIN SSH SIGNATURE-----\n(?:[A-Za-z0-9+/=]{1,70}\n)+-----END SSH SIGNATURE-----\n$/);
    const result = await verifyWithKeygen(signature, MESSAGE);
    expect(result.code).toBe(0);
    expect(result.output).toContain(`Good "${NAMESPACE}" signature for audit@access`);
  });

  it('makes a signature that ssh-keygen refuses for a changed message or another namespace', async () => {
    const signature = signSshSig(ca, MESSAGE, NAMESPACE);
    expect((await verifyWithKeygen(signature, Buffer.concat([MESSAGE, Buffer.from(' ')]))).code).not.toBe(0);
    expect((await verifyWithKeygen(signature, MESSAGE, 'file')).code).not.toBe(0);
  });

  it('verifies what ssh-keygen -Y sign made, and writes byte for byte the same signature with the same Ed25519 key', async () => {
    const keyPath = await dir.keygen('signer', ['-t', 'ed25519']);
    await dir.write('message', MESSAGE);
    await sshKeygenOk(['-Y', 'sign', '-f', keyPath, '-n', NAMESPACE, dir.file('message')]);
    const theirs = await dir.read('message.sig');
    const publicKey = parsePublicKey(await dir.read('signer.pub'));
    expect(verifySshSig(theirs, MESSAGE, { publicKey, namespace: NAMESPACE })).toMatchObject({ namespace: NAMESPACE, hashAlgorithm: 'sha512' });
    const ours = signSshSig(loadCaKey(await readFile(keyPath, 'utf8')), MESSAGE, NAMESPACE);
    expect(ours).toBe(theirs);
  });

  it('verifies ssh-keygen signatures made with sha256 and with an ECDSA key', async () => {
    await dir.keygen('ed-key', ['-t', 'ed25519']);
    await dir.keygen('ec-key', ['-t', 'ecdsa', '-b', '256']);
    for (const [key, options, hash] of [['ed-key', ['-O', 'hashalg=sha256'], 'sha256'], ['ec-key', [], 'sha512']] as const) {
      await dir.write(`${key}.msg`, MESSAGE);
      await sshKeygenOk(['-Y', 'sign', '-f', dir.file(key), '-n', 'file', ...options, dir.file(`${key}.msg`)]);
      const publicKey = parsePublicKey(await dir.read(`${key}.pub`));
      expect(verifySshSig(await dir.read(`${key}.msg.sig`), MESSAGE, { publicKey, namespace: 'file' }).hashAlgorithm).toBe(hash);
    }
  });

  it('refuses a changed message with ERR_SSHSIG_INVALID', () => {
    const signature = signSshSig(ca, MESSAGE, NAMESPACE);
    const changed = Buffer.from(MESSAGE);
    changed[8] = changed[8]! ^ 1;
    expect(codeOf(() => verifySshSig(signature, changed, { publicKey: ca.publicKey, namespace: NAMESPACE }))).toBe('ERR_SSHSIG_INVALID');
    expect(verifySshSig(signature, MESSAGE, { publicKey: ca.publicKey, namespace: NAMESPACE }).publicKey.blob.equals(ca.publicKey.blob)).toBe(true);
  });

  it('refuses another namespace with ERR_SSHSIG_NAMESPACE, even when the signature itself is good', () => {
    const signature = signSshSig(ca, MESSAGE, 'file');
    expect(codeOf(() => verifySshSig(signature, MESSAGE, { publicKey: ca.publicKey, namespace: NAMESPACE }))).toBe('ERR_SSHSIG_NAMESPACE');
  });

  it('refuses a signature by another key with ERR_SSHSIG_WRONG_KEY, naming both fingerprints', () => {
    const other = generateCaKey().signer;
    const signature = signSshSig(other, MESSAGE, NAMESPACE);
    expect(codeOf(() => verifySshSig(signature, MESSAGE, { publicKey: ca.publicKey, namespace: NAMESPACE }))).toBe('ERR_SSHSIG_WRONG_KEY');
    expect(() => verifySshSig(signature, MESSAGE, { publicKey: ca.publicKey, namespace: NAMESPACE })).toThrow(/made by the key SHA256:.* not by the trusted key SHA256:/);
  });

  it('refuses a signature blob taken from another message signed by the same key (ERR_SSHSIG_INVALID)', () => {
    const original = parseSshSig(signSshSig(ca, MESSAGE, NAMESPACE));
    const other = parseSshSig(signSshSig(ca, 'something else', NAMESPACE));
    const spliced = new WireWriter().raw(Buffer.from('SSHSIG')).u32(1).string(ca.publicKey.blob).string(NAMESPACE).string('').string('sha512').string(other.signature).toBuffer();
    const armored = `-----BEGIN SSH SIGNATURE-----\n${spliced.toString('base64')}\n-----END SSH SIGNATURE-----\n`;
    expect(parseSshSig(armored).signature.equals(original.signature)).toBe(false);
    expect(codeOf(() => verifySshSig(armored, MESSAGE, { publicKey: ca.publicKey, namespace: NAMESPACE }))).toBe('ERR_SSHSIG_INVALID');
  });

  it('refuses text that is not an armored SSHSIG with ERR_SSHSIG_MALFORMED', () => {
    const good = signSshSig(ca, MESSAGE, NAMESPACE);
    for (const bad of ['', 'hello', good.replace('BEGIN SSH SIGNATURE', 'BEGIN PGP SIGNATURE'), good.replace(/\n-----END.*$/s, ''), good.replace('U1NIU0lH', 'U1NIU0lI'), good.replace(/\n([A-Za-z0-9+/]{4})/, '\n!$1')]) {
      expect(codeOf(() => parseSshSig(bad))).toBe('ERR_SSHSIG_MALFORMED');
    }
  });

  it('refuses to sign for an empty or spaced namespace', () => {
    expect(codeOf(() => signSshSig(ca, MESSAGE, ''))).toBe('ERR_SSHSIG_NAMESPACE');
    expect(codeOf(() => signSshSig(ca, MESSAGE, 'a b'))).toBe('ERR_SSHSIG_NAMESPACE');
  });
});
