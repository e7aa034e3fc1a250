import type { AuditEventInput } from '@access/audit';

/**
 * Where the gateway's own audit events go (refusals, file transfers, port forwards): the
 * record writer, which spools them with the recordings while the database is away.
 */
export interface AuditSink {
  append(event: AuditEventInput): Promise<unknown>;
}
