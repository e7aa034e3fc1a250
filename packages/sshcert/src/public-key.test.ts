import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshCertError } from './errors.ts';
import { fingerprint, formatPublicKey, parsePublicKey, publicKeyFromBlob } from './public-key.ts';
import { TempDir, sshKeygenOk } from './testing/ssh-keygen.ts';
import { WireWriter } from './wire-writer.ts';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof SshCertError) return error.code;
    throw error;
  }
  throw new Error('expected an SshCertError');
}

describe('parsePublicKey', () => {
  let dir: TempDir;
  beforeAll(async () => {
    dir = await TempDir.create();
  });
  afterAll(() => dir.remove());

  const accepted: [string, string[], number][] = [
    ['ed25519', ['-t', 'ed25519'], 256],
    ['ecdsa256', ['-t', 'ecdsa', '-b', '256'], 256],
    ['ecdsa384', ['-t', 'ecdsa', '-b', '384'], 384],
    ['rsa3072', ['-t', 'rsa', '-b', '3072'], 3072],
  ];
  it.each(accepted)('reads a %s key from ssh-keygen with the fingerprint ssh-keygen -lf prints', async (name, args, bits) => {
    const path = await dir.keygen(name, args);
    const text = await dir.read(`${name}.pub`);
    const key = parsePublicKey(text);
    expect(key.bits).toBe(bits);
    expect(key.comment).toBe(`${name}@test`);
    expect(formatPublicKey(key)).toBe(text.trim());
    const listed = await sshKeygenOk(['-lf', `${path}.pub`]);
    expect(listed.split(' ')[1]).toBe(fingerprint(key.blob));
    expect(publicKeyFromBlob(key.blob).keyObject.asymmetricKeyType).toBe(key.keyObject.asymmetricKeyType);
  });

  it('refuses a 2048-bit RSA key as too weak, saying how many bits it has', async () => {
    await dir.keygen('rsa2048', ['-t', 'rsa', '-b', '2048']);
    const text = await dir.read('rsa2048.pub');
    expect(codeOf(() => parsePublicKey(text))).toBe('ERR_KEY_TOO_WEAK');
    expect(() => parsePublicKey(text)).toThrow('at least 3072 bits; this one has 2048');
  });

  it('refuses a DSA key, an unknown type and a certificate as unsupported', async () => {
    const dsa = new WireWriter().string('ssh-dss').string(Buffer.alloc(3, 1)).toBuffer();
    expect(codeOf(() => parsePublicKey(`ssh-dss ${dsa.toString('base64')}`))).toBe('ERR_KEY_UNSUPPORTED');
    const odd = new WireWriter().string('ssh-foo').toBuffer();
    expect(codeOf(() => parsePublicKey(`ssh-foo ${odd.toString('base64')}`))).toBe('ERR_KEY_UNSUPPORTED');
    const ca = await dir.keygen('ca', ['-t', 'ed25519']);
    await sshKeygenOk(['-q', '-s', ca, '-I', 'id', '-n', 'alice', dir.file('ed25519.pub')]);
    const cert = await dir.read('ed25519-cert.pub');
    expect(codeOf(() => parsePublicKey(cert))).toBe('ERR_KEY_UNSUPPORTED');
  });

  it('refuses garbage, bad base64, mismatched type names, truncation and trailing bytes as malformed', async () => {
    const good = parsePublicKey(await dir.read('ed25519.pub'));
    const b64 = good.blob.toString('base64');
    const cases = [
      'garbage',
      '',
      `ssh-ed25519 ${b64.slice(0, -4)}!!!!`,
      `ssh-ed25519 ${b64} comment\nssh-ed25519 ${b64}`,
      `ecdsa-sha2-nistp256 ${b64}`,
      `ssh-ed25519 ${good.blob.subarray(0, -1).toString('base64')}`,
      `ssh-ed25519 ${Buffer.concat([good.blob, Buffer.alloc(1)]).toString('base64')}`,
      `ssh-ed25519 ${new WireWriter().string('ssh-ed25519').string(Buffer.alloc(31)).toBuffer().toString('base64')}`,
      `ssh-ed25519 ${Buffer.from([0xff, 0xff, 0xff, 0xff, 1]).toString('base64')}`,
    ];
    for (const text of cases) expect([text, codeOf(() => parsePublicKey(text))]).toEqual([text, 'ERR_KEY_MALFORMED']);
  });

  it('refuses an EC point that is not on the curve', () => {
    const point = Buffer.concat([Buffer.from([4]), Buffer.alloc(32, 1), Buffer.alloc(32, 2)]);
    const blob = new WireWriter().string('ecdsa-sha2-nistp256').string('nistp256').string(point).toBuffer();
    expect(codeOf(() => publicKeyFromBlob(blob))).toBe('ERR_KEY_MALFORMED');
  });

  it('refuses an RSA modulus with a superfluous leading zero byte (one key, one encoding)', async () => {
    const key = parsePublicKey(await dir.read('rsa3072.pub'));
    const e = key.blob.subarray(4 + 7, 4 + 7 + 4 + key.blob.readUInt32BE(11));
    const nField = key.blob.subarray(11 + e.length);
    const n = nField.subarray(4);
    const padded = new WireWriter().string('ssh-rsa').raw(e).string(Buffer.concat([Buffer.alloc(1), n])).toBuffer();
    expect(codeOf(() => publicKeyFromBlob(padded))).toBe('ERR_KEY_MALFORMED');
  });

  it('formats a key with a replacement comment', async () => {
    const key = parsePublicKey(await dir.read('ed25519.pub'));
    expect(formatPublicKey(key, 'other')).toBe(`ssh-ed25519 ${key.blob.toString('base64')} other`);
    expect(parsePublicKey(Buffer.from(formatPublicKey(key, ''))).comment).toBe('');
  });
});
