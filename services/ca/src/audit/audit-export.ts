import { Readable } from 'node:stream';
import { exportBundle, exportFileName, selectExportEvents, type AuditActor, type ExportFilter } from '@access/audit';
import { AccessError } from '../errors.ts';
import type { CaServices } from '../http/services.ts';
import { sessionExportFiles } from '../sessions/session-export-files.ts';

/** Exports one caller may start per minute: each reads the whole range twice and signs with the CA key. */
export const EXPORTS_PER_MINUTE = 5;

/** Counts an export against the caller's limit (shared by the API and the web UI); 429 past it. */
export function allowExport(services: Pick<CaServices, 'exportLimiter'>, actor: AuditActor): void {
  if (!services.exportLimiter.allow(`${actor.kind}:${actor.id}`)) {
    throw new AccessError('ERR_RATE_LIMITED', 429, `too many audit exports: each caller may start ${EXPORTS_PER_MINUTE} a minute; wait a minute and try again`);
  }
}

export interface AuditExport {
  /** The ustar archive, produced as it is read (see `exportBundle`). */
  stream: Readable;
  /** `access-audit-<since>-<until>.tar`, for Content-Disposition. */
  filename: string;
  /** Records in the export. */
  count: number;
  headSeq: bigint;
}

/**
 * An audit export for `actor`: fixes the run of the chain (up to the head as it is now),
 * writes the `audit.exported` event (after that head, so never in the export it records),
 * and returns the archive as a stream that reads the database page by page while it is
 * sent. manifest.json is signed by the active user CA key: the key every client and
 * gateway already trusts, so an auditor has it without asking anyone; the signature's
 * namespace (`access-audit-export@access`) keeps it from ever passing for a certificate
 * signature. The HTTP route and the web UI both call this; rate limits are the caller's.
 */
export async function streamAuditExport(
  services: Pick<CaServices, 'database' | 'audit' | 'keyring' | 'clock'>,
  filter: ExportFilter,
  actor: AuditActor,
  remote: string | null = null,
): Promise<AuditExport> {
  const db = services.database.db;
  const now = services.clock();
  const events = await selectExportEvents(db, filter);
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  await services.audit.append({
    type: 'audit.exported',
    actor,
    remote,
    details: {
      filter: { since: iso(filter.since), until: iso(filter.until), format: filter.format, sessions: filter.sessions },
      count: events.count,
      firstSeq: events.firstSeq?.toString() ?? null,
      lastSeq: events.lastSeq?.toString() ?? null,
      headSeq: events.headSeq.toString(),
      headHash: events.headHash,
      caFingerprint: services.keyring.signerFingerprint('user'),
    },
  });
  const sessionRange = { since: filter.since, until: filter.until ?? now };
  const bundle = exportBundle({
    events,
    filter,
    files: filter.sessions ? () => sessionExportFiles(db, sessionRange) : undefined,
    signer: services.keyring.signer('user'),
    now,
  });
  return { stream: Readable.from(bundle, { objectMode: false }), filename: exportFileName(filter, now), count: events.count, headSeq: events.headSeq };
}
