import type { AuditActor, AuditLog } from '@access/audit';
import type { Db } from '@access/db';
import { sql } from 'kysely';
import type { Session } from './session-store.ts';

export interface RecordingRead {
  actor: AuditActor;
  remote: string | null;
  session: Session;
  /** The asciicast (API, player) or the text transcript (a download). */
  format: 'cast' | 'text';
  /**
   * A live view asking for what came after the part it has (`?after=`): audited only when
   * this reader has no read of this session on record yet, so following a session is one
   * event, and starting with `after` skips nothing.
   */
  follow: boolean;
}

async function readBefore(db: Db, actor: AuditActor, sessionId: string): Promise<boolean> {
  const row = await db
    .selectFrom('audit_events')
    .select('seq')
    .where('type', '=', 'session.recording.read')
    .where(sql<boolean>`details->>'sessionId' = ${sessionId} and actor->>'id' = ${actor.id} and actor->>'kind' = ${actor.kind}`)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Recordings hold what people typed and saw: who read which one is on the record
 * (`session.recording.read`). The web UI calls this as the API routes do.
 */
export async function auditRecordingRead(deps: { db: Db; audit: AuditLog }, read: RecordingRead): Promise<void> {
  const { session } = read;
  if (read.follow && (await readBefore(deps.db, read.actor, session.id))) return;
  await deps.audit.append({
    type: 'session.recording.read',
    actor: read.actor,
    remote: read.remote,
    details: {
      sessionId: session.id,
      user: session.user.email,
      login: session.login,
      host: session.host,
      ...(read.format === 'text' ? { format: 'text' } : {}),
    },
  });
}
