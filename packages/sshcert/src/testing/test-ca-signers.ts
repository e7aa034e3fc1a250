import { constants, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { CaSigner } from '../ca-key.ts';
import { publicKeyFromBlob } from '../public-key.ts';
import type { SshPublicKey } from '../public-key.ts';
import { WireWriter } from '../wire-writer.ts';

// Test-only CA signers for key types our production CA does not use, so that
// ECDSA and RSA CA signatures can be exercised without ssh-keygen.

export function sshPublicKeyOf(publicKey: KeyObject): SshPublicKey {
  const jwk = publicKey.export({ format: 'jwk' });
  const b = (value: string | undefined): Buffer => Buffer.from(value ?? '', 'base64url');
  const writer = new WireWriter();
  if (jwk.kty === 'OKP') writer.string('ssh-ed25519').string(b(jwk.x));
  else if (jwk.kty === 'EC') {
    const [type, curve] = jwk.crv === 'P-256' ? ['ecdsa-sha2-nistp256', 'nistp256'] : ['ecdsa-sha2-nistp384', 'nistp384'];
    writer.string(type).string(curve).string(Buffer.concat([Buffer.from([4]), b(jwk.x), b(jwk.y)]));
  } else writer.string('ssh-rsa').positiveMpint(b(jwk.e)).positiveMpint(b(jwk.n));
  return publicKeyFromBlob(writer.toBuffer());
}

export function ecdsaCaSigner(curve: 'P-256' | 'P-384'): CaSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
  const ssh = sshPublicKeyOf(publicKey);
  const size = curve === 'P-256' ? 32 : 48;
  return {
    publicKey: ssh,
    sign(data: Buffer): Buffer {
      const p1363 = sign(curve === 'P-256' ? 'sha256' : 'sha384', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      const inner = new WireWriter().positiveMpint(p1363.subarray(0, size)).positiveMpint(p1363.subarray(size)).toBuffer();
      return new WireWriter().string(ssh.type).string(inner).toBuffer();
    },
  };
}

export function rsaCaSigner(bits = 3072, hash: 'sha256' | 'sha512' = 'sha512'): CaSigner {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const ssh = sshPublicKeyOf(publicKey);
  return {
    publicKey: ssh,
    sign(data: Buffer): Buffer {
      const signature = sign(hash, data, { key: privateKey, padding: constants.RSA_PKCS1_PADDING });
      return new WireWriter().string(`rsa-sha2-${hash.slice(3)}`).string(signature).toBuffer();
    },
  };
}

/** A fresh subject public key of the given type. */
export function subjectKey(type: SshPublicKey['type']): SshPublicKey {
  switch (type) {
    case 'ssh-ed25519':
      return sshPublicKeyOf(generateKeyPairSync('ed25519').publicKey);
    case 'ecdsa-sha2-nistp256':
      return sshPublicKeyOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
    case 'ecdsa-sha2-nistp384':
      return sshPublicKeyOf(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey);
    case 'ssh-rsa':
      return sshPublicKeyOf(createPublicKey(generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey));
  }
}
