import { SshCertError } from './errors.ts';
import { KRL_CERT_SECTION, KRL_FORMAT_VERSION, KRL_MAGIC, KRL_SECTION, normalizeKrlSpec } from './krl.ts';
import type { KrlCertificateSection, KrlSpec } from './krl.ts';
import { publicKeyFromBlob } from './public-key.ts';
import type { SshPublicKey } from './public-key.ts';
import { WireReader } from './wire-reader.ts';

/** Bound on serials expanded from bitmaps, so hostile input cannot exhaust memory. */
const MAX_SERIALS = 1 << 20;
/** OpenSSH's SSHBUF_MAX_BIGNUM plus a sign byte. */
const MAX_BITMAP_BYTES = 2049;
const U64_MAX = 0xffff_ffff_ffff_ffffn;

interface Counter {
  serials: number;
}

/**
 * Reads a KRL. Supports what OpenSSH 9.2 writes for certificates and explicit
 * keys; fingerprint and signature sections are refused rather than dropped.
 */
export function parseKrl(data: Buffer): KrlSpec {
  try {
    return parse(data);
  } catch (error) {
    if (error instanceof SshCertError && error.code === 'ERR_KRL_INVALID') throw error;
    throw new SshCertError('ERR_KRL_INVALID', 'The KRL could not be read', { cause: error });
  }
}

function parse(data: Buffer): KrlSpec {
  if (!data.subarray(0, KRL_MAGIC.length).equals(KRL_MAGIC)) throw new SshCertError('ERR_KRL_INVALID', 'This is not an OpenSSH KRL');
  const reader = new WireReader(data.subarray(KRL_MAGIC.length), 'ERR_KRL_INVALID', 'The KRL');
  if (reader.u32('format version') !== KRL_FORMAT_VERSION) reader.fail('unsupported format version');
  const version = reader.u64('version');
  const generatedAt = reader.u64('generation time');
  reader.u64('flags');
  reader.string('reserved');
  const comment = reader.text('comment');
  const certificates: KrlCertificateSection[] = [];
  const revokedKeys: SshPublicKey[] = [];
  const counter: Counter = { serials: 0 };

  while (reader.remaining > 0) {
    const type = reader.u8('section type');
    const body = new WireReader(reader.string('section'), 'ERR_KRL_INVALID', 'The KRL');
    switch (type) {
      case KRL_SECTION.certificates:
        certificates.push(readCertificateSection(body, counter));
        break;
      case KRL_SECTION.explicitKey:
        while (body.remaining > 0) revokedKeys.push(krlKey(body.string('revoked key')));
        break;
      case KRL_SECTION.fingerprintSha1:
      case KRL_SECTION.fingerprintSha256:
        return reader.fail('fingerprint (hash:) sections are not supported by this reader');
      default:
        return reader.fail(`section type ${type} is not supported`);
    }
  }
  return normalizeKrlSpec({ version, generatedAt, comment, certificates, revokedKeys });
}

function readCertificateSection(body: WireReader, counter: Counter): KrlCertificateSection {
  const caBlob = body.string('CA key');
  const caKey = caBlob.length === 0 ? null : krlKey(caBlob);
  body.string('reserved');
  const serials: bigint[] = [];
  const serialRanges: [bigint, bigint][] = [];
  const keyIds: string[] = [];
  const addSerial = (serial: bigint): void => {
    if (serial === 0n) body.fail('serial 0 cannot be revoked');
    if (++counter.serials > MAX_SERIALS) body.fail('too many revoked serials');
    serials.push(serial);
  };
  while (body.remaining > 0) {
    const type = body.u8('certificate section type');
    const sub = new WireReader(body.string('certificate section'), 'ERR_KRL_INVALID', 'The KRL');
    switch (type) {
      case KRL_CERT_SECTION.serialList:
        while (sub.remaining > 0) addSerial(sub.u64('serial'));
        break;
      case KRL_CERT_SECTION.serialRange: {
        const lo = sub.u64('range start');
        const hi = sub.u64('range end');
        if (lo === 0n || lo > hi) sub.fail(`serial range ${lo}-${hi} is invalid`);
        serialRanges.push([lo, hi]);
        break;
      }
      case KRL_CERT_SECTION.serialBitmap:
        readBitmap(sub, addSerial);
        break;
      case KRL_CERT_SECTION.keyId:
        while (sub.remaining > 0) keyIds.push(sub.text('key id'));
        break;
      default:
        sub.fail(`certificate section type ${type} is not supported`);
    }
    sub.end();
  }
  return { caKey, serials, serialRanges, keyIds };
}

function readBitmap(sub: WireReader, addSerial: (serial: bigint) => void): void {
  const offset = sub.u64('bitmap offset');
  const bitmap = sub.string('bitmap');
  if (bitmap.length > MAX_BITMAP_BYTES) sub.fail('bitmap is too large');
  if (((bitmap[0] ?? 0) & 0x80) !== 0) sub.fail('bitmap is negative');
  for (let byteIndex = bitmap.length - 1; byteIndex >= 0; byteIndex--) {
    const byte = bitmap[byteIndex] ?? 0;
    for (let bit = 0; bit < 8; bit++) {
      if ((byte & (1 << bit)) === 0) continue;
      const serial = offset + BigInt((bitmap.length - 1 - byteIndex) * 8 + bit);
      if (serial > U64_MAX) sub.fail('bitmap runs past the largest serial');
      addSerial(serial);
    }
  }
}

function krlKey(blob: Buffer): SshPublicKey {
  try {
    return publicKeyFromBlob(blob);
  } catch (error) {
    const reason = error instanceof SshCertError ? error.message : 'it could not be read';
    throw new SshCertError('ERR_KRL_INVALID', `The KRL names a key this library cannot use: ${reason}`, { cause: error });
  }
}
