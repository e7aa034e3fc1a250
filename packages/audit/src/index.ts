export { AUDIT_EVENT_CODES, isAuditEventType } from './event-types.ts';
export type { AuditActor, AuditEventInput, AuditEventType, AuditRecord } from './event-types.ts';
export { canonicalJson, GENESIS_HASH, hashRecord } from './canonical.ts';
export { createAuditLog, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from './audit-log.ts';
export type { AuditLog, ListAuditOptions } from './audit-log.ts';
export { verifyChain } from './verify-chain.ts';
export type { ChainProblem, ChainVerification, VerifyChainOptions } from './verify-chain.ts';
export { AuditEventError, AuditStoreError } from './audit-errors.ts';
