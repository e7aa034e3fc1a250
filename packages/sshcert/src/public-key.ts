import { createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { SshCertError, quote, wrapErrors } from './errors.ts';
import { bitLength, cachedKeyObject, ecdsaKeyObject, ed25519KeyObject, rsaKeyObject } from './key-object.ts';
import { CERT_SUFFIX, isSubjectKeyType } from './key-types.ts';
import type { SubjectKeyType } from './key-types.ts';
import { splitKeyLine } from './openssh-text.ts';
import { WireReader } from './wire-reader.ts';

export type { SubjectKeyType } from './key-types.ts';

export interface SshPublicKey {
  readonly type: SubjectKeyType;
  readonly blob: Buffer;
  readonly keyObject: KeyObject;
  readonly bits: number;
  readonly comment: string;
}

export const MIN_RSA_BITS = 3072;
/** OpenSSH refuses RSA moduli above 16384 bits; so do we. */
const MAX_RSA_BITS = 16384;

const EC_CURVES = {
  'ecdsa-sha2-nistp256': { name: 'nistp256', jwk: 'P-256', size: 32 },
  'ecdsa-sha2-nistp384': { name: 'nistp384', jwk: 'P-384', size: 48 },
} as const;

/** Parses an OpenSSH one-line public key, "ssh-ed25519 AAAA... comment". */
export function parsePublicKey(text: string | Buffer): SshPublicKey {
  return wrapErrors('ERR_KEY_MALFORMED', 'The public key', () => {
    const line = splitKeyLine(text, 'ERR_KEY_MALFORMED', 'The public key');
    const key = publicKeyFromBlob(line.blob, line.comment);
    if (key.type !== line.type) {
      throw new SshCertError('ERR_KEY_MALFORMED', `The public key says ${quote(line.type)} but holds a ${key.type} key`);
    }
    return key;
  });
}

/** Parses a public key from its SSH wire blob ("string type, key fields"). */
export function publicKeyFromBlob(blob: Buffer, comment = ''): SshPublicKey {
  return wrapErrors('ERR_KEY_MALFORMED', 'The public key', () => {
    const reader = new WireReader(blob, 'ERR_KEY_MALFORMED', 'The public key');
    const type = reader.string('key type').toString('latin1');
    if (!isSubjectKeyType(type)) throw unsupported(type);
    const { keyObject, bits } = cachedKeyObject(blob, () => {
      const body = readKeyBody(reader, type);
      reader.end();
      return body;
    });
    return { type, blob: Buffer.from(blob), keyObject, bits, comment };
  });
}

export function formatPublicKey(key: SshPublicKey, comment?: string): string {
  const text = comment ?? key.comment;
  const line = `${key.type} ${key.blob.toString('base64')}`;
  return text === '' ? line : `${line} ${text}`;
}

/** "SHA256:<unpadded base64>", as printed by `ssh-keygen -lf`. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function unsupported(type: string): SshCertError {
  if (type.endsWith(CERT_SUFFIX)) {
    return new SshCertError('ERR_KEY_UNSUPPORTED', 'This is a certificate, not a public key; give the plain public key (the .pub file without -cert)');
  }
  if (type === 'ssh-dss') return new SshCertError('ERR_KEY_UNSUPPORTED', 'DSA keys are not supported; use an Ed25519 key');
  return new SshCertError(
    'ERR_KEY_UNSUPPORTED',
    `Key type ${quote(type)} is not supported; use ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384 or ssh-rsa (at least ${MIN_RSA_BITS} bits)`,
  );
}

function readKeyBody(reader: WireReader, type: SubjectKeyType): { keyObject: KeyObject; bits: number } {
  switch (type) {
    case 'ssh-ed25519': {
      const point = reader.string('Ed25519 public key');
      if (point.length !== 32) reader.fail('an Ed25519 public key must be 32 bytes');
      return { keyObject: ed25519KeyObject(point), bits: 256 };
    }
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384': {
      const curve = EC_CURVES[type];
      if (reader.string('curve name').toString('latin1') !== curve.name) reader.fail(`curve name does not match ${type}`);
      const point = reader.string('EC point');
      if (point.length !== 1 + 2 * curve.size || point[0] !== 0x04) reader.fail('the EC point is not an uncompressed point on the curve');
      const x = point.subarray(1, 1 + curve.size);
      const y = point.subarray(1 + curve.size);
      const keyObject = wrapErrors('ERR_KEY_MALFORMED', 'The EC point', () => ecdsaKeyObject(curve.jwk, x, y));
      return { keyObject, bits: curve.size * 8 };
    }
    case 'ssh-rsa': {
      const exponent = reader.positiveMpint('RSA exponent', 64);
      const modulus = reader.positiveMpint('RSA modulus', MAX_RSA_BITS / 8);
      const bits = bitLength(modulus);
      if (((exponent.at(-1) ?? 0) & 1) === 0 || bitLength(exponent) < 2) reader.fail('the RSA exponent is not an odd number above 1');
      if (((modulus.at(-1) ?? 0) & 1) === 0) reader.fail('the RSA modulus is even');
      if (bits < MIN_RSA_BITS) {
        throw new SshCertError('ERR_KEY_TOO_WEAK', `RSA keys must have at least ${MIN_RSA_BITS} bits; this one has ${bits}`);
      }
      return { keyObject: rsaKeyObject(exponent, modulus), bits };
    }
  }
}
