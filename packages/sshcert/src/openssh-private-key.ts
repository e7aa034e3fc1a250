import { randomBytes } from 'node:crypto';
import { SshCertError } from './errors.ts';
import { decodeBase64Strict } from './openssh-text.ts';
import { WireReader } from './wire-reader.ts';
import { WireWriter } from './wire-writer.ts';

// The "openssh-key-v1" private key container (OpenSSH PROTOCOL.key), limited
// to what a CA needs: one unencrypted Ed25519 key.

const MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');
const BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----';
const END = '-----END OPENSSH PRIVATE KEY-----';
const BLOCK_SIZE = 8;

export interface Ed25519KeyPair {
  readonly seed: Buffer;
  readonly publicKey: Buffer;
  readonly comment: string;
}

export function isOpensshPrivateKey(text: string): boolean {
  return text.trimStart().startsWith(BEGIN);
}

export function encodeOpensshEd25519(pair: Ed25519KeyPair): string {
  const publicBlob = new WireWriter().string('ssh-ed25519').string(pair.publicKey).toBuffer();
  const check = randomBytes(4).readUInt32BE(0);
  const inner = new WireWriter()
    .u32(check)
    .u32(check)
    .string('ssh-ed25519')
    .string(pair.publicKey)
    .string(Buffer.concat([pair.seed, pair.publicKey]))
    .string(pair.comment)
    .toBuffer();
  const padLength = (BLOCK_SIZE - (inner.length % BLOCK_SIZE)) % BLOCK_SIZE;
  const padding = Buffer.from(Array.from({ length: padLength }, (_, i) => i + 1));
  const body = new WireWriter()
    .raw(MAGIC)
    .string('none')
    .string('none')
    .string(Buffer.alloc(0))
    .u32(1)
    .string(publicBlob)
    .string(Buffer.concat([inner, padding]))
    .toBuffer();
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return `${BEGIN}\n${lines.join('\n')}\n${END}\n`;
}

/** Reads an unencrypted openssh-key-v1 Ed25519 key; never puts key bytes in an error. */
export function decodeOpensshEd25519(text: string): Ed25519KeyPair {
  const trimmed = text.trim();
  if (!trimmed.startsWith(BEGIN) || !trimmed.endsWith(END)) malformed('the PEM armour is incomplete');
  const base64 = trimmed.slice(BEGIN.length, -END.length).replace(/\s+/g, '');
  const body = decodeBase64Strict(base64);
  if (body === undefined || !body.subarray(0, MAGIC.length).equals(MAGIC)) malformed('it is not an openssh-key-v1 key');

  const reader = new WireReader(body.subarray(MAGIC.length), 'ERR_KEY_MALFORMED', 'The private key');
  const cipher = reader.string('cipher name').toString('latin1');
  const kdf = reader.string('KDF name').toString('latin1');
  reader.string('KDF options');
  if (cipher !== 'none' || kdf !== 'none') {
    throw new SshCertError('ERR_KEY_ENCRYPTED', 'The CA private key is protected by a passphrase; decrypt it with ssh-keygen -p');
  }
  if (reader.u32('key count') !== 1) malformed('it must hold exactly one key');
  const publicBlob = new WireReader(reader.string('public key'), 'ERR_KEY_MALFORMED', 'The private key');
  const publicType = publicBlob.string('key type').toString('latin1');
  if (publicType !== 'ssh-ed25519') {
    throw new SshCertError('ERR_KEY_UNSUPPORTED', `CA keys must be Ed25519; this is a ${publicType.slice(0, 40)} key`);
  }
  const publicKey = publicBlob.string('public key');
  publicBlob.end();
  const secret = new WireReader(reader.string('private section'), 'ERR_KEY_MALFORMED', 'The private key');
  reader.end();

  if (secret.u32('check') !== secret.u32('check')) malformed('its check words differ (corrupt, or wrong passphrase)');
  if (secret.string('key type').toString('latin1') !== 'ssh-ed25519') malformed('its private and public key types differ');
  const innerPublic = secret.string('public key');
  const secretKey = secret.string('private key');
  const comment = secret.text('comment');
  const padding = readPadding(secret);
  if (publicKey.length !== 32 || !innerPublic.equals(publicKey) || secretKey.length !== 64) malformed('its key fields are inconsistent');
  if (!secretKey.subarray(32).equals(publicKey)) malformed('its key fields are inconsistent');
  if (!padding.equals(Buffer.from(Array.from({ length: padding.length }, (_, i) => i + 1)))) malformed('its padding is wrong');
  return { seed: Buffer.from(secretKey.subarray(0, 32)), publicKey: Buffer.from(publicKey), comment };
}

function readPadding(reader: WireReader): Buffer {
  const length = reader.remaining;
  if (length >= BLOCK_SIZE) reader.fail('too much padding');
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = reader.u8('padding');
  return bytes;
}

function malformed(problem: string): never {
  throw new SshCertError('ERR_KEY_MALFORMED', `The private key is malformed: ${problem}`);
}
