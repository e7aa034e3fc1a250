/**
 * What `verifyExport` reports. Codes are stable (scripts key on them); messages name the
 * file, and for records the line and seq, e.g. `events.jsonl line 57: record seq 1234 was
 * altered (its hash does not match its contents)`.
 */
export type ExportProblemCode =
  /** Not an archive or directory this verifier can read (damaged, links, pax headers). */
  | 'ERR_EXPORT_UNREADABLE'
  | 'ERR_EXPORT_MANIFEST_MISSING'
  | 'ERR_EXPORT_SIGNATURE_MISSING'
  /** manifest.json.sig was made by another key than the CA key given: not signed by this CA. */
  | 'ERR_EXPORT_SIGNATURE_WRONG_KEY'
  /** manifest.json.sig signs something other than an export manifest (another namespace). */
  | 'ERR_EXPORT_SIGNATURE_NAMESPACE'
  /** The signature does not fit manifest.json (the manifest was edited), or is not a signature. */
  | 'ERR_EXPORT_SIGNATURE_INVALID'
  /** A signed manifest this verifier cannot read (another format version). */
  | 'ERR_EXPORT_MANIFEST_INVALID'
  /** A line (row) of the events file is not a record. */
  | 'ERR_EXPORT_RECORD_MALFORMED'
  /** A record's hash does not match its fields: the record was edited. */
  | 'ERR_EXPORT_RECORD_ALTERED'
  /** A record hashes correctly but the chain does not link: edited with its hash recomputed. */
  | 'ERR_EXPORT_CHAIN_BROKEN'
  | 'ERR_EXPORT_RECORD_MISSING'
  | 'ERR_EXPORT_RECORD_ORDER'
  | 'ERR_EXPORT_RECORD_DUPLICATE'
  /** A record beyond the last one the manifest lists. */
  | 'ERR_EXPORT_RECORD_EXTRA'
  | 'ERR_EXPORT_COUNT_MISMATCH'
  | 'ERR_EXPORT_FILE_MISSING'
  /** A file's bytes are not the ones whose sha256 the manifest holds. */
  | 'ERR_EXPORT_FILE_CHANGED'
  /** A file the manifest does not list (or an archive holding one path twice). */
  | 'ERR_EXPORT_FILE_EXTRA';

export interface ExportProblem {
  code: ExportProblemCode;
  message: string;
  /** The file the problem is in, when there is one. */
  file?: string;
  /** The line of the events file (from 1; in CSV the header is line 1). */
  line?: number;
  /** The record the problem is about. */
  seq?: bigint;
}

export type ExportVerification =
  | {
      ok: true;
      count: number;
      firstSeq: bigint | null;
      lastSeq: bigint | null;
      /** The chain's head when the export was made: the export is a true copy of the chain up to lastSeq of the chain that ended here. */
      headSeq: bigint;
      headHash: string;
      createdAt: string;
      caFingerprint: string;
      filter: { since: string | null; until: string | null; format: 'jsonl' | 'csv'; sessions: boolean };
      /** Sessions whose recordings are in the export. */
      sessions: number;
    }
  | { ok: false; problem: ExportProblem };

export function failed(code: ExportProblemCode, message: string, where: Omit<ExportProblem, 'code' | 'message'> = {}): ExportVerification {
  return { ok: false, problem: { code, message, ...where } };
}
