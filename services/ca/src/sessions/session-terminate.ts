import type { AuditActor, AuditLog } from '@access/audit';
import { LOCKS_CHANNEL, notify, type Db, type TerminateNotice } from '@access/db';
import { badRequest, conflict, notFound } from '../errors.ts';
import { checkSessionId, toSession, type Session } from './session-store.ts';

export const MAX_TERMINATE_REASON = 200;

/** An optional reason: trimmed, at most 200 characters, one line; empty means none. */
export function checkTerminateReason(reason: unknown): string | null {
  if (reason === undefined || reason === null) return null;
  if (typeof reason !== 'string') throw badRequest('ERR_BAD_REQUEST', 'reason must be a string');
  const text = reason.trim();
  if (text.length > MAX_TERMINATE_REASON) throw badRequest('ERR_BAD_REQUEST', `reason is longer than ${MAX_TERMINATE_REASON} characters`);
  // eslint-disable-next-line no-control-regex -- the reason is written to the engineer's terminal
  if (/[\x00-\x1f\x7f-\x9f]/.test(text)) throw badRequest('ERR_BAD_REQUEST', 'reason must be one line of printable text');
  return text === '' ? null : text;
}

/**
 * Ends a live session: audits `session.terminated` (who, why) and, in the same transaction,
 * tells every gateway on LOCKS_CHANNEL. The gateway carrying the session writes
 * `access: an admin terminated this session: <reason>` to the engineer's terminal and ends
 * the ssh connection it belongs to (its other channels and forwards too) within a second;
 * the recording then ends with that reason (`session.end`). Returns the session as it was,
 * still live: poll it to see it end. 409 when it is not live.
 */
export async function terminateSession(
  services: { database: { db: Db }; audit: AuditLog },
  id: string,
  actor: AuditActor,
  reason: string | null,
  remote: string | null = null,
): Promise<Session> {
  const why = checkTerminateReason(reason);
  return services.database.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('sessions').selectAll().where('id', '=', checkSessionId(id)).forUpdate().executeTakeFirst();
    if (!row) throw notFound('ERR_UNKNOWN_SESSION', `no session with id ${id}`);
    if (row.status !== 'live') {
      const when = row.ended_at ? ` at ${row.ended_at.toISOString()}` : '';
      throw conflict('ERR_SESSION_NOT_LIVE', `session ${row.id} is not live: it ${row.status === 'ended' ? 'ended' : 'was interrupted'}${when}; only a live session can be terminated`);
    }
    const notice: TerminateNotice = { kind: 'terminate', sessionId: row.id, gatewayId: row.gateway_id, reason: why };
    await notify(trx, LOCKS_CHANNEL, JSON.stringify(notice));
    // Last before commit: the audit append holds the chain's head lock until then.
    await services.audit.append(
      {
        type: 'session.terminated',
        actor,
        remote,
        details: {
          sessionId: row.id,
          connectionId: row.connection_id,
          userId: row.user_id,
          user: row.user_email,
          login: row.login,
          host: row.host,
          gatewayId: row.gateway_id,
          reason: why,
        },
      },
      trx,
    );
    return toSession(row);
  });
}
