/**
 * Every audit event has a stable type and a stable code, grouped by area (CA = certificate
 * authority, TK = machine tokens, AU = authentication, US = users, RB = roles and grants,
 * HS = hosts, LG = `access login`, SE = gateway sessions, AD = the audit log itself). Admin changes carry `before` and `after` in their details. The last letter is
 * the severity: I = information, W = warning. Downstream tools key on the codes, so a published code
 * never changes and is never reused; a new event gets a new code.
 */
export const AUDIT_EVENT_CODES = {
  'cert.issued': 'CA1000I',
  'cert.denied': 'CA1001W',
  'cert.revoked': 'CA1002I',
  'ca.key.created': 'CA2000I',
  'ca.key.retired': 'CA2001I',
  'token.created': 'TK1000I',
  'token.revoked': 'TK1001I',
  'auth.denied': 'AU1000W',
  'user.login': 'US1000I',
  'user.login.denied': 'US1001W',
  'user.locked': 'US1002I',
  'user.unlocked': 'US1003I',
  'role.created': 'RB1000I',
  'role.updated': 'RB1001I',
  'role.deleted': 'RB1002I',
  'grant.created': 'RB2000I',
  'grant.revoked': 'RB2001I',
  'host.created': 'HS1000I',
  'host.updated': 'HS1001I',
  'host.deleted': 'HS1002I',
  'host.token.created': 'HS2000I',
  'host.enrolled': 'HS2001I',
  'host.enroll.denied': 'HS2002W',
  'host.renewed': 'HS2003I',
  'login.completed': 'LG1000I',
  'login.denied': 'LG1001W',
  'session.start': 'SE1000I',
  'session.exec': 'SE1001I',
  'session.end': 'SE1002I',
  'session.denied': 'SE1003W',
  'session.interrupted': 'SE1004W',
  'session.terminated': 'SE1005I',
  'file.transfer': 'SE2000I',
  'port.forward': 'SE3000I',
  'port.forward.denied': 'SE3001W',
  'session.recording.read': 'SE4000I',
  'audit.exported': 'AD1000I',
} as const;

export type AuditEventType = keyof typeof AUDIT_EVENT_CODES;

export interface AuditActor {
  kind: 'user' | 'token' | 'cli' | 'system' | 'anonymous';
  id: string;
  name?: string;
}

export interface AuditEventInput {
  type: AuditEventType;
  actor: AuditActor;
  /** The client address, when the event came in over the network. */
  remote?: string | null;
  details: Record<string, unknown>;
}

export interface AuditRecord {
  /** Position in the chain, from 1 without gaps. */
  seq: bigint;
  /** A random UUID, for referring to one event from elsewhere. */
  id: string;
  time: Date;
  type: AuditEventType;
  code: string;
  actor: AuditActor;
  remote: string | null;
  details: Record<string, unknown>;
  /** The hash of the record before this one; `GENESIS_HASH` for seq 1. */
  prevHash: string;
  /** sha256 (hex) over the canonical JSON of every other field, see `hashRecord`. */
  hash: string;
}

export function isAuditEventType(value: unknown): value is AuditEventType {
  return typeof value === 'string' && Object.hasOwn(AUDIT_EVENT_CODES, value);
}
