/** An event `append` refuses: unknown type, details that cannot be encoded, and the like. */
export class AuditEventError extends Error {
  readonly code = 'ERR_AUDIT_EVENT_INVALID';
}

/** The audit tables are not in the state every append relies on (no `audit_head` row). */
export class AuditStoreError extends Error {
  readonly code = 'ERR_AUDIT_STORE';
}
