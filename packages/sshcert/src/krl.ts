import { SshCertError } from './errors.ts';
import type { SshPublicKey } from './public-key.ts';
import { WireWriter } from './wire-writer.ts';

// OpenSSH key revocation lists (PROTOCOL.krl). Rules taken from krl.c in
// OpenSSH 9.2: serial 0 and ranges with min > max make the whole KRL fail to
// load; overlapping or repeated serials are merged by the reader.

export const KRL_MAGIC = Buffer.from('SSHKRL\n\0', 'latin1');
export const KRL_FORMAT_VERSION = 1;
export const KRL_SECTION = { certificates: 1, explicitKey: 2, fingerprintSha1: 3, signature: 4, fingerprintSha256: 5 } as const;
export const KRL_CERT_SECTION = { serialList: 0x20, serialRange: 0x21, serialBitmap: 0x22, keyId: 0x23 } as const;

const U64_MAX = 0xffff_ffff_ffff_ffffn;

export interface KrlCertificateSection {
  /** null: certificates from any CA. */
  caKey: SshPublicKey | null;
  serials: readonly bigint[];
  serialRanges: ReadonlyArray<readonly [bigint, bigint]>;
  keyIds: readonly string[];
}

export interface KrlSpec {
  version: bigint;
  /** Unix seconds. */
  generatedAt: bigint;
  comment: string;
  certificates: readonly KrlCertificateSection[];
  /** Plain keys revoked outright (also revokes every certificate for them). */
  revokedKeys: readonly SshPublicKey[];
}

function invalid(message: string): SshCertError {
  return new SshCertError('ERR_KRL_INVALID', message);
}

const compareBigint = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);
const compareText = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/**
 * Merges sections for the same CA and sorts and de-duplicates every list, so
 * that equal revocations always encode to the same bytes.
 */
export function normalizeKrlSpec(spec: KrlSpec): KrlSpec {
  const byCa = new Map<string, { caKey: SshPublicKey | null; serials: Set<bigint>; ranges: Map<string, readonly [bigint, bigint]>; keyIds: Set<string> }>();
  for (const section of spec.certificates) {
    const id = section.caKey === null ? '' : section.caKey.blob.toString('base64');
    const entry = byCa.get(id) ?? { caKey: section.caKey, serials: new Set(), ranges: new Map(), keyIds: new Set() };
    byCa.set(id, entry);
    section.serials.forEach((serial) => entry.serials.add(serial));
    section.serialRanges.forEach(([lo, hi]) => entry.ranges.set(`${lo}-${hi}`, [lo, hi]));
    section.keyIds.forEach((keyId) => entry.keyIds.add(keyId));
  }
  const keys = new Map(spec.revokedKeys.map((key) => [key.blob.toString('base64'), key]));
  return {
    version: spec.version,
    generatedAt: spec.generatedAt,
    comment: spec.comment,
    certificates: [...byCa.values()].map((entry) => ({
      caKey: entry.caKey,
      serials: [...entry.serials].sort(compareBigint),
      serialRanges: [...entry.ranges.values()].sort((a, b) => compareBigint(a[0], b[0]) || compareBigint(a[1], b[1])),
      keyIds: [...entry.keyIds].sort(compareText),
    })),
    revokedKeys: [...keys.values()].sort((a, b) => Buffer.compare(a.blob, b.blob)),
  };
}

/** Encodes a KRL that OpenSSH's sshd (RevokedKeys) and `ssh-keygen -Q` load. */
export function encodeKrl(input: KrlSpec): Buffer {
  const spec = normalizeKrlSpec(input);
  checkU64(spec.version, 'KRL version');
  checkU64(spec.generatedAt, 'KRL generation time');
  checkCString(spec.comment, 'The KRL comment');
  const out = new WireWriter()
    .raw(KRL_MAGIC)
    .u32(KRL_FORMAT_VERSION)
    .u64(spec.version)
    .u64(spec.generatedAt)
    .u64(0n)
    .string(Buffer.alloc(0))
    .string(spec.comment);

  for (const section of spec.certificates) {
    out.u8(KRL_SECTION.certificates).string(encodeCertificateSection(section));
  }
  if (spec.revokedKeys.length > 0) {
    const keys = new WireWriter();
    for (const key of spec.revokedKeys) keys.string(key.blob);
    out.u8(KRL_SECTION.explicitKey).string(keys.toBuffer());
  }
  return out.toBuffer();
}

function encodeCertificateSection(section: KrlCertificateSection): Buffer {
  const out = new WireWriter().string(section.caKey?.blob ?? Buffer.alloc(0)).string(Buffer.alloc(0));
  if (section.serials.length > 0) {
    const list = new WireWriter();
    for (const serial of section.serials) {
      checkSerial(serial);
      list.u64(serial);
    }
    out.u8(KRL_CERT_SECTION.serialList).string(list.toBuffer());
  }
  for (const [lo, hi] of section.serialRanges) {
    checkSerial(lo);
    checkSerial(hi);
    if (lo > hi) throw invalid(`Serial range ${lo}-${hi} is empty (its start is after its end)`);
    out.u8(KRL_CERT_SECTION.serialRange).string(new WireWriter().u64(lo).u64(hi).toBuffer());
  }
  if (section.keyIds.length > 0) {
    const ids = new WireWriter();
    for (const keyId of section.keyIds) {
      checkCString(keyId, 'A revoked key id');
      ids.string(keyId);
    }
    out.u8(KRL_CERT_SECTION.keyId).string(ids.toBuffer());
  }
  return out.toBuffer();
}

function checkU64(value: bigint, what: string): void {
  if (value < 0n || value > U64_MAX) throw invalid(`${what} must fit in an unsigned 64-bit integer`);
}

function checkSerial(serial: bigint): void {
  checkU64(serial, 'A certificate serial');
  // OpenSSH refuses to load a KRL that names serial 0 (it means "no serial").
  if (serial === 0n) throw invalid('Serial 0 cannot be revoked (OpenSSH rejects such a KRL); revoke by key id instead');
}

function checkCString(text: string, what: string): void {
  if (text.includes('\0')) throw invalid(`${what} must not contain a NUL character`);
}
