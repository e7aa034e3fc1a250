import { EVENTS_FILE, EXPORT_FORMATS, type ExportFormat } from './export-records.ts';

/** manifest.json: what an export holds, signed (manifest.json.sig) by the CA. */

export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.json.sig';
/** The SSHSIG namespace: a manifest signature can never pass for a signature over anything else. */
export const EXPORT_NAMESPACE = 'access-audit-export@access';
export const EXPORT_FORMAT_VERSION = 1;

export interface ManifestFile {
  name: string;
  size: number;
  /** Hex. */
  sha256: string;
}

export interface ExportManifest {
  format: 'access-audit-export';
  formatVersion: typeof EXPORT_FORMAT_VERSION;
  createdAt: string;
  /** The key that signed manifest.json.sig, for people; the verifier trusts only the key it is given. */
  caFingerprint: string;
  filter: { since: string | null; until: string | null; format: ExportFormat; sessions: boolean };
  /** Records in the events file; firstSeq … lastSeq, all four null when there are none. */
  count: number;
  firstSeq: string | null;
  lastSeq: string | null;
  /** The first record's prevHash: where this run of the chain attaches to what came before. */
  firstPrevHash: string | null;
  lastHash: string | null;
  /** audit_head when the export began: the chain's end then, at or after lastSeq. */
  headSeq: string;
  headHash: string;
  /** Every file but the manifest and its signature, in archive order, the events file first. */
  files: ManifestFile[];
}

export function manifestText(manifest: ExportManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

const SEQ = /^(?:0|[1-9][0-9]{0,18})$/;
const HASH = /^[0-9a-f]{64}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * The manifest's shape, checked once its signature is: a signed manifest of the wrong
 * shape means a CA of another version or a bug, never a forgery. Returns why it is not one.
 */
export function parseManifest(text: string): ExportManifest | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'it is not JSON';
  }
  const m = value as Partial<ExportManifest> | null;
  if (typeof m !== 'object' || m === null) return 'it is not a JSON object';
  if (m.format !== 'access-audit-export') return 'it is not an access audit export manifest';
  if (m.formatVersion !== EXPORT_FORMAT_VERSION) return `its format version ${String(m.formatVersion)} is not ${EXPORT_FORMAT_VERSION}, the one this verifier reads`;
  const f = m.filter;
  if (typeof f !== 'object' || f === null || !EXPORT_FORMATS.includes(f.format) || typeof f.sessions !== 'boolean') return 'its filter is malformed';
  if (!nullOr(f.since, ISO) || !nullOr(f.until, ISO) || typeof m.createdAt !== 'string' || !ISO.test(m.createdAt)) return 'a time in it is malformed';
  if (typeof m.caFingerprint !== 'string') return 'caFingerprint is missing';
  if (!Number.isSafeInteger(m.count) || m.count! < 0) return 'count is not a whole number';
  const empty = m.count === 0;
  for (const [name, pattern] of [['firstSeq', SEQ], ['lastSeq', SEQ], ['firstPrevHash', HASH], ['lastHash', HASH]] as const) {
    const field = m[name];
    if (empty ? field !== null : typeof field !== 'string' || !pattern.test(field)) return `${name} does not fit a count of ${m.count}`;
  }
  if (typeof m.headSeq !== 'string' || !SEQ.test(m.headSeq) || typeof m.headHash !== 'string' || !HASH.test(m.headHash)) return 'the head is malformed';
  if (!empty && BigInt(m.lastSeq!) > BigInt(m.headSeq)) return 'lastSeq is after the head';
  if (!empty && m.lastSeq === m.headSeq && m.lastHash !== m.headHash) return 'the last record is the head, but their hashes differ';
  if (!Array.isArray(m.files) || !m.files.every(isManifestFile)) return 'its file list is malformed';
  const names = m.files.map((file) => file.name);
  if (new Set(names).size !== names.length) return 'its file list names a file twice';
  if (names[0] !== EVENTS_FILE[f.format]) return `its file list does not start with ${EVENTS_FILE[f.format]}`;
  return m as ExportManifest;
}

function isManifestFile(value: unknown): value is ManifestFile {
  const file = value as Partial<ManifestFile> | null;
  return (
    typeof file === 'object' &&
    file !== null &&
    typeof file.name === 'string' &&
    file.name !== MANIFEST_FILE &&
    file.name !== SIGNATURE_FILE &&
    Number.isSafeInteger(file.size) &&
    file.size! >= 0 &&
    typeof file.sha256 === 'string' &&
    HASH.test(file.sha256)
  );
}

function nullOr(value: unknown, pattern: RegExp): boolean {
  return value === null || (typeof value === 'string' && pattern.test(value));
}
