/** An export that cannot be finished: what it was reading changed under it, or its files clash. */
export class AuditExportError extends Error {
  readonly code = 'ERR_AUDIT_EXPORT';
}
