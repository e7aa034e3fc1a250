/** The JSON shapes of services/ca/API-CONTRACT.md, as the CLI reads them. */

export type LoginMode = 'browser' | 'headless';

export interface LoginStartInput {
  publicKey: string;
  mode: LoginMode;
  callbackPort?: number;
  secretHash: string;
}

export interface LoginStarted {
  loginId: string;
  expiresAt: string;
  browserUrl?: string;
  userCode?: string;
  verificationUrl?: string;
  /** Seconds between polls, headless mode. */
  interval?: number;
}

export interface Permissions {
  pty?: boolean;
  portForwarding?: boolean;
  agentForwarding?: boolean;
  fileTransfer?: boolean;
  x11?: boolean;
}

export interface UserView {
  id: string;
  email: string;
  displayName: string | null;
  groups: string[];
}

export interface LoginResult {
  /** Null when the person's roles give no SSH login (an auditor): they still get an API token. */
  certificate: string | null;
  serial: string | null;
  principals: string[];
  validAfter: string;
  validBefore: string;
  user: UserView;
  roles: string[];
  capabilities: string[];
  permissions: Permissions;
  apiToken: string;
  /** `@cert-authority * <host CA public key>` lines. */
  knownHosts: string;
  gateway: { host: string; port: number };
}

export type PollOutcome = { status: 'pending' } | { status: 'complete'; result: LoginResult };

export interface Me {
  user: (UserView & { login: string | null }) | null;
  roles: string[];
  principals: string[];
  capabilities: string[];
  permissions: Permissions;
  maxTtl: number | null;
}

export interface MyHost {
  name: string;
  address: string;
  labels: Record<string, string>;
  logins: string[];
}

export interface Role {
  name: string;
  description: string | null;
  logins: string[];
  hostLabels: Record<string, string[]>;
  /** Seconds. */
  maxTtl: number;
  permissions: Permissions;
  capabilities: string[];
  createdAt?: string | null;
  updatedAt?: string | null;
}

export interface RoleInput {
  name: string;
  description?: string;
  logins: string[];
  hostLabels: Record<string, string[]>;
  maxTtl: string | number;
  permissions: Permissions;
  capabilities?: string[];
}

export type RoleChange = Partial<Omit<RoleInput, 'name'>>;

export interface Grant {
  id: string;
  subjectKind: 'user' | 'group';
  subject: string;
  role: string;
  expiresAt: string | null;
  reason: string;
  grantedBy?: string | null;
  createdAt?: string | null;
  revokedAt: string | null;
  revokedBy?: string | null;
  active: boolean;
}

export interface GrantInput {
  user?: string;
  group?: string;
  role: string;
  expires?: string;
  reason: string;
}

export interface GrantFilter {
  user?: string;
  group?: string;
  role?: string;
  active?: boolean;
}

export interface Host {
  name: string;
  address: string;
  labels: Record<string, string>;
  createdAt?: string | null;
  updatedAt?: string | null;
  lastSeenAt?: string | null;
}

export interface HostInput {
  name: string;
  address: string;
  labels: Record<string, string>;
}

export type HostChange = Partial<Omit<HostInput, 'name'>>;

/** `POST /v1/hosts/tokens`: a single-use join token for server enrollment. */
export interface JoinTokenInput {
  labels: Record<string, string>;
  ttl?: string;
  name?: string;
}

export interface JoinToken {
  token: string;
  id: string;
  labels: Record<string, string>;
  name: string | null;
  expiresAt: string;
  /** Where the CA serves the enrollment script. */
  scriptUrl: string;
  /** The one line to run on the server. */
  command: string;
}

/** A person as `GET /v1/users` lists them (needs audit). */
export interface User {
  id: string;
  email: string;
  emailVerified: boolean;
  displayName: string | null;
  groups: string[];
  login: string | null;
  createdAt: string | null;
  lastLoginAt: string | null;
  lockedAt: string | null;
  lockReason: string | null;
}

/** A session the gateway recorded (`GET /v1/sessions`, needs audit): the recording package's shape. */
export type { SessionMetadata as Session } from '@access/recording';

/** `GET /v1/sessions` query: times are ISO strings with a zone; `before` a session id or a time. */
export interface SessionFilter {
  user?: string | undefined;
  host?: string | undefined;
  login?: string | undefined;
  /** live, ended or interrupted; the CA checks it. */
  status?: string | undefined;
  /** Words typed or shown: full text over the session transcripts. */
  text?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  live?: boolean | undefined;
  limit?: number | undefined;
  before?: string | undefined;
}

/** `GET /v1/audit/export` query (needs audit): times are ISO strings with a zone. */
export interface AuditExportQuery {
  since?: string | undefined;
  until?: string | undefined;
  format: 'jsonl' | 'csv';
  sessions: boolean;
}

/** The export as it arrives: a tar, streamed, never held whole. */
export interface AuditExportDownload {
  body: AsyncIterable<Uint8Array>;
  /** From Content-Disposition. */
  filename: string | null;
  /** Records in the export (x-access-audit-count), for progress. */
  count: number | null;
}
