import type { Db } from '@access/db';
import { fingerprint, parsePublicKey } from '@access/sshcert';
import { badRequest, conflict, notFound } from '../errors.ts';
import { toSession, type Session } from '../sessions/session-store.ts';
import { toGrant, type Grant } from './grants.ts';
import { findUsersByEmail, getUser, type User } from './users.ts';

/** A certificate `access login` issued to the person that is neither expired nor revoked. */
export interface UserCertificate {
  serial: bigint;
  keyId: string;
  principals: string[];
  extensions: string[];
  validAfter: Date;
  validBefore: Date;
  /** `SHA256:…` of the person's public key the certificate is for. */
  keyFingerprint: string;
  keyType: string;
}

/** Active grants naming a person: to their email, or to a group the IdP sent at their last login. */
export interface PersonGrants {
  /** By email. They apply only while the IdP marks the email verified (`user.emailVerified`). */
  direct: Grant[];
  viaGroups: Grant[];
}

/** Everything an admin reads about one person. */
export interface UserDetail {
  /** Identity, last login, lock state and reason. */
  user: User;
  grants: PersonGrants;
  /** Newest first. */
  certificates: UserCertificate[];
  /** Their most recent sessions (at most 20), newest first. */
  sessions: Session[];
}

const USER_ID = /^usr_[0-9a-f]{16}$/;
const RECENT_SESSIONS = 20;

/** A user by id (`usr_…`) or by email in any case; 409 when two identity providers' people share the email. */
export async function findUser(db: Db, idOrEmail: string): Promise<User> {
  if (USER_ID.test(idOrEmail)) return getUser(db, idOrEmail);
  if (!/^[^\s@]+@[^\s@]+$/.test(idOrEmail) || idOrEmail.length > 254) {
    throw badRequest('ERR_BAD_USER', `"${idOrEmail.slice(0, 80)}" is neither a user id (usr_ and 16 hex digits) nor an email address`);
  }
  const found = await findUsersByEmail(db, idOrEmail);
  if (found.length > 1) {
    throw conflict('ERR_AMBIGUOUS_USER', `${found.length} people signed in with ${idOrEmail} (from different identity providers); ask by id: ${found.map((u) => u.id).join(', ')}`);
  }
  if (!found[0]) throw notFound('ERR_UNKNOWN_USER', `nobody has signed in with ${idOrEmail}`);
  return found[0];
}

/** The grants naming this person that are neither revoked nor expired at `now`, oldest first. */
export async function activeGrantsOf(db: Db, user: User, now: Date): Promise<PersonGrants> {
  const rows = await db
    .selectFrom('grants')
    .selectAll()
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .where((eb) =>
      eb.or([
        eb.and([eb('subject_kind', '=', 'user'), eb('subject', '=', user.email.toLowerCase())]),
        ...(user.groups.length > 0 ? [eb.and([eb('subject_kind', '=', 'group'), eb('subject', 'in', user.groups)])] : []),
      ]),
    )
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const grants = rows.map(toGrant);
  return { direct: grants.filter((g) => g.subjectKind === 'user'), viaGroups: grants.filter((g) => g.subjectKind === 'group') };
}

/**
 * The certificates `access login` issued to this person (requested by `user:<id>`) that are
 * still valid at `now` and not revoked, by serial, serial range, key id or key; the same
 * rules as the KRL, which is what sshd and the gateway enforce.
 */
export async function activeCertificatesOf(db: Db, userId: string, now: Date): Promise<UserCertificate[]> {
  const rows = await db
    .selectFrom('certificates as c')
    .selectAll('c')
    .where('c.cert_type', '=', 'user')
    .where('c.requested_by', '=', `user:${userId}`)
    .where('c.valid_before', '>', now)
    .where(({ exists, not, selectFrom }) =>
      not(
        exists(
          selectFrom('revocations as r')
            .select('r.id')
            .where((r) =>
              r.and([
                r.or([r('r.ca_fingerprint', 'is', null), r('r.ca_fingerprint', '=', r.ref('c.ca_fingerprint'))]),
                r.or([
                  r.and([r('r.kind', '=', 'serial'), r('r.serial_from', '=', r.ref('c.serial'))]),
                  r.and([r('r.kind', '=', 'serial_range'), r('r.serial_from', '<=', r.ref('c.serial')), r('r.serial_to', '>=', r.ref('c.serial'))]),
                  r.and([r('r.kind', '=', 'key_id'), r('r.key_id', '=', r.ref('c.key_id'))]),
                ]),
              ]),
            ),
        ),
      ),
    )
    .orderBy('c.serial', 'desc')
    .execute();
  // A revoked key stands for every certificate of that key; the table keeps keys by fingerprint only.
  const keys = await db.selectFrom('revocations').select('public_key').where('kind', '=', 'key').execute();
  const revokedKeys = new Set(keys.map((k) => fingerprint(parsePublicKey(k.public_key!).blob)));
  return rows
    .filter((c) => !revokedKeys.has(c.subject_fingerprint))
    .map((c) => ({
      serial: c.serial,
      keyId: c.key_id,
      principals: c.principals,
      extensions: c.extensions,
      validAfter: c.valid_after,
      validBefore: c.valid_before,
      keyFingerprint: c.subject_fingerprint,
      keyType: c.subject_key_type,
    }));
}

/** One person for the admin UI and `GET /v1/users/:id`: by id or email (see findUser), at `now`. */
export async function getUserDetail(db: Db, idOrEmail: string, now: Date): Promise<UserDetail> {
  const user = await findUser(db, idOrEmail);
  const [grants, certificates, sessions] = await Promise.all([
    activeGrantsOf(db, user, now),
    activeCertificatesOf(db, user.id, now),
    db.selectFrom('sessions').selectAll().where('user_id', '=', user.id).orderBy('started_at', 'desc').orderBy('id', 'desc').limit(RECENT_SESSIONS).execute(),
  ]);
  return { user, grants, certificates, sessions: sessions.map(toSession) };
}
