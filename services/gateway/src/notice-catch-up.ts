import type { Db, LockNotice, RevokeNotice } from '@access/db';
import { fingerprint } from '@access/sshcert';
import { handleNotice } from './gateway-notices.ts';
import type { LiveConnections } from './live-connections.ts';

/** Revocations this recent are checked again: longer than any certificate a live connection can hold. */
const REVOCATIONS_WINDOW_SECONDS = 24 * 3600;

/**
 * After the notification connection was lost and is back, notices sent in between are
 * gone: reads the state they would have told instead. Live connections of a person locked
 * meanwhile end, and so do those signed in with a certificate revoked meanwhile, each
 * through the same handling a notice gets. (An admin's terminate of one session is a notice
 * only: one sent in that gap must be sent again.)
 */
export async function catchUpOnNotices(db: Db, live: LiveConnections, log: (line: string) => void): Promise<void> {
  const userIds = live.userIds();
  if (userIds.length === 0) return;
  const locked = await db.selectFrom('users').select(['id', 'email', 'lock_reason']).where('id', 'in', userIds).where('locked_at', 'is not', null).execute();
  for (const user of locked) {
    const notice: LockNotice = { userId: user.id, email: user.email, locked: true, reason: user.lock_reason };
    handleNotice(JSON.stringify(notice), live, log);
  }
  const revocations = await db
    .selectFrom('revocations')
    .select(['kind', 'ca_fingerprint', 'serial_from', 'serial_to', 'key_id', 'public_key', 'reason'])
    .where('created_at', '>=', new Date(Date.now() - REVOCATIONS_WINDOW_SECONDS * 1000))
    .execute();
  for (const row of revocations) {
    const notice: RevokeNotice = {
      kind: 'revoke',
      revocation: row.kind,
      caFingerprint: row.ca_fingerprint,
      serialFrom: row.serial_from?.toString() ?? null,
      serialTo: row.serial_to?.toString() ?? null,
      keyId: row.key_id,
      keyFingerprint: row.public_key ? fingerprint(Buffer.from(row.public_key.split(' ')[1] ?? '', 'base64')) : null,
      reason: row.reason.slice(0, 1000),
    };
    handleNotice(JSON.stringify(notice), live, log);
  }
}
