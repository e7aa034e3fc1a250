import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { SshCertError } from './errors.ts';
import { decodeOpensshEd25519, encodeOpensshEd25519, isOpensshPrivateKey } from './openssh-private-key.ts';
import { publicKeyFromBlob } from './public-key.ts';
import type { SshPublicKey } from './public-key.ts';
import { WireWriter } from './wire-writer.ts';

/** Signs certificate bytes; the private key never leaves its KeyObject. */
export interface CaSigner {
  readonly publicKey: SshPublicKey;
  /** Returns a full SSH signature blob: string "ssh-ed25519", string signature. */
  sign(data: Buffer): Buffer;
}

export function generateCaKey(comment = ''): { signer: CaSigner; privateKeyText: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const privateKeyText = encodeOpensshEd25519({
    seed: Buffer.from(jwk.d ?? '', 'base64url'),
    publicKey: Buffer.from(jwk.x ?? '', 'base64url'),
    comment,
  });
  return { signer: ed25519Signer(privateKey, comment), privateKeyText };
}

/**
 * Loads an Ed25519 CA private key: unencrypted openssh-key-v1 (what
 * `ssh-keygen -t ed25519 -N ''` writes) or PKCS#8 PEM.
 */
export function loadCaKey(privateKeyText: string): CaSigner {
  if (isOpensshPrivateKey(privateKeyText)) {
    const pair = decodeOpensshEd25519(privateKeyText);
    const privateKey = importPrivate({
      key: { kty: 'OKP', crv: 'Ed25519', d: pair.seed.toString('base64url'), x: pair.publicKey.toString('base64url') },
      format: 'jwk',
    });
    const signer = ed25519Signer(privateKey, pair.comment);
    // JWK import does not check that x belongs to d; a mismatch would sign with a different key.
    if (!signer.publicKey.blob.subarray(-32).equals(pair.publicKey)) {
      throw new SshCertError('ERR_KEY_MALFORMED', 'The private key is malformed: its public half does not match its private half');
    }
    return signer;
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(privateKeyText)) {
    throw new SshCertError('ERR_KEY_ENCRYPTED', 'The CA private key is protected by a passphrase; decrypt it with ssh-keygen -p');
  }
  const label = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(privateKeyText)?.[1];
  if (label === undefined) throw new SshCertError('ERR_KEY_MALFORMED', 'The CA private key is not in a PEM or OpenSSH format');
  if (label !== 'PRIVATE KEY') throw new SshCertError('ERR_KEY_UNSUPPORTED', `CA keys must be Ed25519; this is a "${label}"`);
  const privateKey = importPrivate({ key: privateKeyText, format: 'pem' });
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new SshCertError('ERR_KEY_UNSUPPORTED', `CA keys must be Ed25519; this is an ${privateKey.asymmetricKeyType ?? 'unknown'} key`);
  }
  return ed25519Signer(privateKey, '');
}

function importPrivate(input: Parameters<typeof createPrivateKey>[0]): KeyObject {
  try {
    return createPrivateKey(input);
  } catch (error) {
    throw new SshCertError('ERR_KEY_MALFORMED', 'The CA private key could not be read', { cause: error });
  }
}

function ed25519Signer(privateKey: KeyObject, comment: string): CaSigner {
  const x = createPublicKey(privateKey).export({ format: 'jwk' }).x ?? '';
  const blob = new WireWriter().string('ssh-ed25519').string(Buffer.from(x, 'base64url')).toBuffer();
  const publicKey = publicKeyFromBlob(blob, comment);
  return {
    publicKey,
    sign(data: Buffer): Buffer {
      return new WireWriter().string('ssh-ed25519').string(sign(null, data, privateKey)).toBuffer();
    },
  };
}
