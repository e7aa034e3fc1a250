import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

// Node imports raw public keys most reliably through JWK (see the team notes:
// OpenSSL 3 refuses some hand-made DER, JWK always works and checks EC points).

export function ed25519KeyObject(publicKey: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey.toString('base64url') }, format: 'jwk' });
}

export function ecdsaKeyObject(curve: 'P-256' | 'P-384', x: Buffer, y: Buffer): KeyObject {
  return createPublicKey({
    key: { kty: 'EC', crv: curve, x: x.toString('base64url'), y: y.toString('base64url') },
    format: 'jwk',
  });
}

export function rsaKeyObject(exponent: Buffer, modulus: Buffer): KeyObject {
  return createPublicKey({
    key: { kty: 'RSA', n: modulus.toString('base64url'), e: exponent.toString('base64url') },
    format: 'jwk',
  });
}

export function bitLength(magnitude: Buffer): number {
  const first = magnitude[0];
  if (first === undefined) return 0;
  return (magnitude.length - 1) * 8 + (32 - Math.clz32(first));
}

const CACHE_SIZE = 256;
const cache = new Map<string, { keyObject: KeyObject; bits: number }>();

/**
 * Importing a key through JWK costs 0.1–2 ms (P-384 is the slowest, because
 * OpenSSL checks the point). A gateway sees the same few CA keys over and over,
 * so keep the most recent imports, keyed by the exact blob bytes.
 * `parse` must fully validate the blob; only its successes are cached.
 */
export function cachedKeyObject(blob: Buffer, parse: () => { keyObject: KeyObject; bits: number }): { keyObject: KeyObject; bits: number } {
  const id = blob.toString('latin1');
  const hit = cache.get(id);
  if (hit !== undefined) {
    cache.delete(id);
    cache.set(id, hit);
    return hit;
  }
  const parsed = parse();
  cache.set(id, parsed);
  if (cache.size > CACHE_SIZE) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return parsed;
}
