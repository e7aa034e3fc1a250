import type { Grant, GrantReview, Host, Role, RoleReach, User, UserCertificate, UserDetail } from '../../identity/identity.ts';
import { sessionJson } from './session-routes.ts';

/** The JSON forms of the identity model: dates as ISO strings, nothing the caller may not see. */

const iso = (date: Date | null): string | null => date?.toISOString() ?? null;

export const roleJson = (r: Role) => ({
  name: r.name,
  description: r.description,
  logins: r.logins,
  hostLabels: r.hostLabels,
  maxTtl: r.maxTtl,
  permissions: r.permissions,
  capabilities: r.capabilities,
  createdAt: iso(r.createdAt),
  updatedAt: iso(r.updatedAt),
});

export const grantJson = (g: Grant, now: Date) => ({
  id: g.id,
  subjectKind: g.subjectKind,
  subject: g.subject,
  role: g.role,
  expiresAt: iso(g.expiresAt),
  reason: g.reason,
  grantedBy: g.grantedBy,
  createdAt: iso(g.createdAt),
  revokedAt: iso(g.revokedAt),
  revokedBy: g.revokedBy,
  /** The last `access login` the grant contributed to; null: never used. */
  lastUsedAt: iso(g.lastUsedAt),
  /** Neither revoked nor expired (whether it applies to a person also depends on their IdP claims). */
  active: !g.revokedAt && (!g.expiresAt || g.expiresAt > now),
});

export const hostJson = (h: Host) => ({
  name: h.name,
  address: h.address,
  labels: h.labels,
  createdAt: iso(h.createdAt),
  updatedAt: iso(h.updatedAt),
  lastSeenAt: iso(h.lastSeenAt),
});

export const userJson = (u: User) => ({
  id: u.id,
  email: u.email,
  emailVerified: u.emailVerified,
  displayName: u.displayName,
  groups: u.groups,
  login: u.login,
  issuer: u.issuer,
  subject: u.subject,
  createdAt: iso(u.createdAt),
  lastLoginAt: iso(u.lastLoginAt),
  lockedAt: iso(u.lockedAt),
  lockReason: u.lockReason,
});

export const grantReviewJson = (r: GrantReview, now: Date) => ({
  expiringSoon: r.expiringSoon.map((g) => grantJson(g, now)),
  unused: r.unused.map((g) => grantJson(g, now)),
});

export const roleReachJson = (r: RoleReach) => ({ host: r.host, address: r.address, labels: r.labels, logins: r.logins });

const certificateJson = (c: UserCertificate) => ({
  serial: c.serial.toString(),
  keyId: c.keyId,
  principals: c.principals,
  extensions: c.extensions,
  validAfter: iso(c.validAfter),
  validBefore: iso(c.validBefore),
  keyFingerprint: c.keyFingerprint,
  keyType: c.keyType,
});

export const userDetailJson = (d: UserDetail, now: Date) => ({
  user: userJson(d.user),
  grants: { direct: d.grants.direct.map((g) => grantJson(g, now)), viaGroups: d.grants.viaGroups.map((g) => grantJson(g, now)) },
  certificates: d.certificates.map(certificateJson),
  sessions: d.sessions.map(sessionJson),
});
