import type { ColumnType, Generated, Insertable, Kysely, Selectable } from 'kysely';

/** Timestamps are written as Date and read as Date on both backends. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export type CaKind = 'user' | 'host' | 'upstream';

export interface CaKeysTable {
  fingerprint: string;
  kind: CaKind;
  public_key: string;
  status: 'active' | 'retired';
  created_at: ColumnType<Date, Date | string | undefined, never>;
  retired_at: Timestamp | null;
}

export interface CertificatesTable {
  serial: ColumnType<bigint, bigint, never>;
  cert_type: 'user' | 'host';
  key_id: string;
  principals: Json<string[]>;
  ca_fingerprint: string;
  subject_fingerprint: string;
  subject_key_type: string;
  valid_after: Timestamp;
  valid_before: Timestamp;
  critical_options: Json<Record<string, string>>;
  extensions: Json<string[]>;
  requested_by: string;
  requested_from: string | null;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

export type RevocationKind = 'serial' | 'serial_range' | 'key_id' | 'key';

export interface RevocationsTable {
  id: Generated<bigint>;
  kind: RevocationKind;
  /** Certificates of this CA only; null means any of our CA keys. */
  ca_fingerprint: string | null;
  serial_from: bigint | null;
  serial_to: bigint | null;
  key_id: string | null;
  public_key: string | null;
  reason: string;
  created_by: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface MachineTokensTable {
  id: string;
  token_hash: string;
  role: string;
  description: string;
  created_by: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
  last_used_at: Timestamp | null;
}

export interface AuditEventsTable {
  seq: bigint;
  id: string;
  time: Timestamp;
  type: string;
  code: string;
  actor: Json<Record<string, unknown>>;
  remote: string | null;
  details: Json<Record<string, unknown>>;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: bigint;
  hash: string;
}

export interface UsersTable {
  /** `usr_` and 16 hex digits. */
  id: string;
  issuer: string;
  subject: string;
  email: string;
  email_verified: boolean;
  display_name: string | null;
  groups: Json<string[]>;
  /** The login this person claimed from a template such as `{{email.local}}`; unique. */
  login: string | null;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  last_login_at: Timestamp | null;
  locked_at: Timestamp | null;
  lock_reason: string | null;
}

export interface RolePermissions {
  pty: boolean;
  portForwarding: boolean;
  agentForwarding: boolean;
  fileTransfer: boolean;
  x11: boolean;
}

export type RoleCapability = 'admin' | 'audit';

export interface RolesTable {
  name: string;
  description: string;
  /** Literal logins (`deploy`) and templates (`{{email.local}}`). */
  logins: Json<string[]>;
  /** Label → allowed values, or `['*']` for any value. */
  host_labels: Json<Record<string, string[]>>;
  /** Seconds. */
  max_ttl: number;
  permissions: Json<RolePermissions>;
  capabilities: Json<RoleCapability[]>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  updated_at: Timestamp;
}

export type GrantSubjectKind = 'user' | 'group';

export interface GrantsTable {
  id: string;
  subject_kind: GrantSubjectKind;
  /** A lowercased email for a user grant, an IdP group name for a group grant. */
  subject: string;
  role: string;
  expires_at: Timestamp | null;
  reason: string;
  granted_by: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  revoked_at: Timestamp | null;
  revoked_by: string | null;
  /** The last `access login` this grant contributed to; null: never used. */
  last_used_at: Timestamp | null;
}

export interface HostsTable {
  name: string;
  /** host:port */
  address: string;
  labels: Json<Record<string, string>>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  updated_at: Timestamp;
  last_seen_at: Timestamp | null;
}

export interface UserTokensTable {
  id: string;
  user_id: string;
  token_hash: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
}

export type LoginMode = 'browser' | 'headless';
export type LoginStatus = 'pending' | 'signed_in' | 'approved' | 'completed' | 'failed' | 'expired';

export interface LoginsTable {
  /** `lgn_` and 32 hex digits. */
  id: string;
  mode: LoginMode;
  public_key: string;
  /** base64url(SHA-256(the CLI's one-time secret)). */
  secret_hash: string;
  callback_port: number | null;
  /** `XXXX-XXXX`, headless only; unique among unfinished logins. */
  user_code: string | null;
  oidc_state: string | null;
  oidc_nonce: string | null;
  oidc_code_verifier: string | null;
  requester_ip: string | null;
  status: LoginStatus;
  user_id: string | null;
  /** The LoginResult without its API token, once a certificate was issued. */
  result: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  callback_code_hash: string | null;
  callback_code_expires_at: Timestamp | null;
  csrf_hash: string | null;
  error_code: string | null;
  error_message: string | null;
  expires_at: Timestamp;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  completed_at: Timestamp | null;
  last_poll_at: Timestamp | null;
}

export interface GatewaysTable {
  /** `gw_` and 16 hex digits, new at every start. */
  id: string;
  address: string;
  started_at: Timestamp;
  heartbeat_at: Timestamp;
  stopped_at: Timestamp | null;
}

export type SessionKind = 'shell' | 'exec' | 'subsystem';
export type SessionStatus = 'live' | 'ended' | 'interrupted';

export interface SessionsTable {
  /** `ses_` and 20 hex digits. */
  id: string;
  /** Shared by the session channels of one ssh connection; named in the upstream certificate's key id. */
  connection_id: string;
  gateway_id: string;
  user_id: string;
  user_email: string;
  login: string;
  host: string;
  host_address: string;
  client_address: string | null;
  kind: SessionKind;
  /** The exec command or the subsystem name. */
  command: string | null;
  term: string | null;
  cols: number | null;
  rows: number | null;
  status: SessionStatus;
  started_at: Timestamp;
  ended_at: Timestamp | null;
  exit_status: number | null;
  exit_signal: string | null;
  end_reason: string | null;
  /** Bytes from the engineer to the target, and back. */
  bytes_in: ColumnType<bigint, bigint | number | undefined, bigint | number>;
  bytes_out: ColumnType<bigint, bigint | number | undefined, bigint | number>;
  /** The time of the last flushed recording chunk. */
  recorded_until: Timestamp | null;
  recording_truncated: ColumnType<boolean, boolean | undefined, boolean>;
  /** When its transcript was stored; null while live or waiting for one (0008). */
  transcribed_at: Timestamp | null;
}

/** A session's recording as plain text, for reading and full-text search (0008). */
export interface SessionTranscriptsTable {
  session_id: string;
  /** The command line, then the output as text: at most 1 MiB. */
  text: string;
  /** `tsvector` ('simple') over the first `searchable_chars` of `text`; written with SQL only. */
  search: ColumnType<string, never, never>;
  searchable_chars: ColumnType<number, number | undefined, number>;
  /** The recording held more than the transcript keeps. */
  truncated: boolean;
  created_at: Timestamp;
}

export interface SessionChunksTable {
  session_id: string;
  /** 0, 1, 2, … in flush order. */
  seq: number;
  /** asciicast v2 event lines, newline-separated, times in seconds from the session start. */
  events: string;
  event_count: number;
  /** Seconds from the session start of the chunk's last event. */
  last_time: number;
  created_at: Timestamp;
}

/** Batches of recording rows and audit events a gateway wrote, by id: a batch replayed from a spool is written once. */
export interface RecordBatchesAppliedTable {
  /** `<spool id>:<n>`. */
  id: string;
  applied_at: ColumnType<Date, Date | undefined, never>;
}

export interface WebSessionsTable {
  /** `wbs_` and 16 hex digits. */
  id: string;
  /** SHA-256 (hex) of the cookie's secret; the secret itself is never stored. */
  token_hash: string;
  user_id: string;
  remote: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
}

export interface WebSigninsTable {
  state: string;
  nonce: string;
  code_verifier: string;
  return_to: string;
  remote: string | null;
  expires_at: Timestamp;
}

/** A single-use join token for `access hosts token` (0010); only its SHA-256 is stored. */
export interface HostJoinTokensTable {
  /** `hjt_` and 16 hex digits. */
  id: string;
  token_hash: string;
  /** The labels the enrolled host gets. */
  labels: Json<Record<string, string>>;
  /** When set, the host must enroll under this name. */
  host_name: string | null;
  created_by: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  /** The host name that used it. */
  used_by: string | null;
}

export interface EnrolledHostKey {
  type: string;
  publicKey: string;
  fingerprint: string;
}

/** How a host enrolled itself (0010): the host keys it renews with and the addresses it reported. */
export interface HostEnrollmentsTable {
  host_name: string;
  host_keys: Json<EnrolledHostKey[]>;
  addresses: Json<string[]>;
  token_id: string;
  enrolled_at: Timestamp;
  renewed_at: Timestamp | null;
}

export interface Database {
  ca_keys: CaKeysTable;
  certificates: CertificatesTable;
  revocations: RevocationsTable;
  machine_tokens: MachineTokensTable;
  audit_events: AuditEventsTable;
  audit_head: AuditHeadTable;
  user_tokens: UserTokensTable;
  users: UsersTable;
  roles: RolesTable;
  grants: GrantsTable;
  hosts: HostsTable;
  logins: LoginsTable;
  gateways: GatewaysTable;
  sessions: SessionsTable;
  session_chunks: SessionChunksTable;
  session_transcripts: SessionTranscriptsTable;
  web_sessions: WebSessionsTable;
  web_signins: WebSigninsTable;
  host_join_tokens: HostJoinTokensTable;
  host_enrollments: HostEnrollmentsTable;
  record_batches_applied: RecordBatchesAppliedTable;
}

export type Db = Kysely<Database>;
export type CaKeyRow = Selectable<CaKeysTable>;
export type CertificateRow = Selectable<CertificatesTable>;
export type NewCertificate = Insertable<CertificatesTable>;
export type RevocationRow = Selectable<RevocationsTable>;
export type MachineTokenRow = Selectable<MachineTokensTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type UserRow = Selectable<UsersTable>;
export type RoleRow = Selectable<RolesTable>;
export type GrantRow = Selectable<GrantsTable>;
export type HostRow = Selectable<HostsTable>;
export type LoginRow = Selectable<LoginsTable>;
export type SessionRow = Selectable<SessionsTable>;
export type SessionChunkRow = Selectable<SessionChunksTable>;
export type SessionTranscriptRow = Selectable<SessionTranscriptsTable>;
