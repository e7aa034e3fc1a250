import type { LockNotice, RevokeNotice, TerminateNotice } from '@access/db';
import type { LiveConnections } from './live-connections.ts';

type Notice = Partial<LockNotice> | Partial<TerminateNotice> | Partial<RevokeNotice>;

/**
 * Acts on one payload from LOCKS_CHANNEL, which every gateway hears: a lock ends the
 * person's live connections, a revocation those signed in with a covered certificate, a
 * terminate the connection carrying the session (on the one gateway that has it).
 */
export function handleNotice(payload: string, live: LiveConnections, log: (line: string) => void): void {
  let notice: Notice;
  try {
    notice = JSON.parse(payload) as Notice;
  } catch {
    return log('ignored a malformed lock notification');
  }
  if (typeof notice !== 'object' || notice === null) return log('ignored a malformed lock notification');
  if ('kind' in notice && notice.kind === 'terminate') return terminate(notice as Partial<TerminateNotice>, live, log);
  if ('kind' in notice && notice.kind === 'revoke') return revoke(notice as Partial<RevokeNotice>, live, log);
  const lock = notice as Partial<LockNotice>;
  if (lock.locked !== true || typeof lock.userId !== 'string') return;
  const ended = live.endUser(lock.userId, `your account was locked by an admin${because(lock.reason)}`);
  if (ended > 0) log(`ended ${ended} connection(s) of ${lock.userId}: locked`);
}

/** An admin terminated a session: if it is live here, its connection ends with the reason. */
function terminate(notice: Partial<TerminateNotice>, live: LiveConnections, log: (line: string) => void): void {
  if (typeof notice.sessionId !== 'string') return;
  if (live.endSession(notice.sessionId, `an admin terminated this session${because(notice.reason)}`)) {
    log(`ended the connection carrying ${notice.sessionId}: terminated by an admin`);
  }
}

function revoke(notice: Partial<RevokeNotice>, live: LiveConnections, log: (line: string) => void): void {
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  const revocation = notice.revocation;
  if (revocation !== 'serial' && revocation !== 'serial_range' && revocation !== 'key_id' && revocation !== 'key') {
    return log('ignored a revocation notice of an unknown kind');
  }
  const checked: RevokeNotice = {
    kind: 'revoke',
    revocation,
    caFingerprint: text(notice.caFingerprint),
    serialFrom: text(notice.serialFrom),
    serialTo: text(notice.serialTo),
    keyId: text(notice.keyId),
    keyFingerprint: text(notice.keyFingerprint),
    reason: text(notice.reason) ?? '',
  };
  const ended = live.endRevoked(checked, `your certificate was revoked${because(checked.reason)}; run "access login" for a new one`);
  if (ended > 0) log(`ended ${ended} connection(s): certificate revoked (${revocation})`);
}

const because = (reason: unknown): string => (typeof reason === 'string' && reason ? `: ${reason}` : '');
