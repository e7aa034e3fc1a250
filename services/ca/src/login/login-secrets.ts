import { createHash, timingSafeEqual } from 'node:crypto';

/** base64url(SHA-256(value)): how every login secret is stored, and what the CLI sends as `secretHash`. */
export function hashSecret(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** Compares a presented secret with a stored hash in constant time. */
export function matchesHash(presented: unknown, storedHash: string | null): boolean {
  if (typeof presented !== 'string' || presented.length === 0 || presented.length > 512 || !storedHash) return false;
  const a = Buffer.from(hashSecret(presented));
  const b = Buffer.from(storedHash);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Letters nobody confuses when reading them aloud or copying them (no vowels, no 0/O, 1/I/L). */
export const USER_CODE_ALPHABET = 'BCDFGHJKMNPQRSTVWXZ';

/** `XXXX-XXXX` from the unambiguous alphabet, without modulo bias. */
export function newUserCode(random: (size: number) => Buffer): string {
  const chars: string[] = [];
  const limit = 256 - (256 % USER_CODE_ALPHABET.length);
  while (chars.length < 8) {
    for (const byte of random(16)) {
      if (byte < limit && chars.length < 8) chars.push(USER_CODE_ALPHABET[byte % USER_CODE_ALPHABET.length]!);
    }
  }
  return `${chars.slice(0, 4).join('')}-${chars.slice(4).join('')}`;
}

/** What a person typed, as stored: upper case, dash in the middle; null if it cannot be a code. */
export function normalizeUserCode(input: unknown): string | null {
  if (typeof input !== 'string') return null;
  const letters = input.toUpperCase().replace(/[\s-]/g, '');
  if (letters.length !== 8 || [...letters].some((c) => !USER_CODE_ALPHABET.includes(c))) return null;
  return `${letters.slice(0, 4)}-${letters.slice(4)}`;
}
