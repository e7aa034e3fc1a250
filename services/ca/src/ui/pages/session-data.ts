import { badRequest } from '../../errors.ts';
import type { CaServices } from '../../http/services.ts';
import { auditRecordingRead } from '../../sessions/session-read-audit.ts';
import { readRecordingSince, type RecordingSince } from '../../sessions/session-recording.ts';
import { sessionScope, type SessionScope } from '../../sessions/session-scope.ts';
import type { Session } from '../../sessions/session-store.ts';
import type { UiContext } from '../ui-context.ts';

/** Without the audit capability a person sees only their own sessions (the API's rule). */
export const uiSessionScope = (ui: UiContext): SessionScope => sessionScope(ui.caller);

/**
 * The recording for the player: whole (with its header) or the chunks after `after`.
 * The first read is audited; the live view's polls are not new reads.
 */
export async function castForPlayer(services: CaServices, ui: UiContext, s: Session, after: string, remote: string): Promise<RecordingSince> {
  const from = after === '' ? null : /^-?\d{1,9}$/.test(after) ? Number(after) : NaN;
  if (from !== null && (Number.isNaN(from) || from < -1)) throw badRequest('ERR_BAD_REQUEST', `after must be a chunk number; got ${JSON.stringify(after.slice(0, 20))}`);
  await auditRecordingRead({ db: services.database.db, audit: services.audit }, { actor: ui.caller.actor, remote, session: s, format: 'cast', follow: from !== null });
  return readRecordingSince(services.database.db, s, from);
}
