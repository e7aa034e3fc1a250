import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { recordingText } from '../../sessions/session-recording.ts';
import { getSession, listSessions, type Session } from '../../sessions/session-store.ts';
import { requireCaller } from '../caller.ts';
import type { CaServices } from '../services.ts';
import { parseSessionQuery } from './session-query.ts';

const iso = (date: Date | null): string | null => date?.toISOString() ?? null;

/** A session as JSON: times as ISO strings, byte counts as numbers. */
export const sessionJson = (s: Session) => ({
  id: s.id,
  connectionId: s.connectionId,
  user: { id: s.user.id, email: s.user.email },
  login: s.login,
  host: s.host,
  hostAddress: s.hostAddress,
  clientAddress: s.clientAddress,
  kind: s.kind,
  command: s.command,
  term: s.term,
  cols: s.cols,
  rows: s.rows,
  status: s.status,
  startedAt: iso(s.startedAt),
  endedAt: iso(s.endedAt),
  exitStatus: s.exitStatus,
  exitSignal: s.exitSignal,
  endReason: s.endReason,
  bytesIn: Number(s.bytesIn),
  bytesOut: Number(s.bytesOut),
  recordedUntil: iso(s.recordedUntil),
  recordingTruncated: s.recordingTruncated,
});

/** Sessions the gateways recorded, and their recordings. Every route needs the audit capability. */
export const sessionRoutes = (services: CaServices): FastifyPluginAsync =>
  async (app) => {
    const db = services.database.db;
    const read = { onRequest: requireCaller(services, 'audit') };

    app.get('/v1/sessions', read, async (request) => ({ sessions: (await listSessions(db, parseSessionQuery(request.query))).map(sessionJson) }));

    app.get<{ Params: { id: string } }>('/v1/sessions/:id', read, async (request) => sessionJson(await getSession(db, request.params.id)));

    app.get<{ Params: { id: string } }>('/v1/sessions/:id/recording', read, async (request, reply) => {
      const session = await getSession(db, request.params.id);
      // Recordings hold what people typed and saw: who read which one is on the record too.
      await services.audit.append({
        type: 'session.recording.read',
        actor: request.caller!.actor,
        remote: request.ip,
        details: { sessionId: session.id, user: session.user.email, login: session.login, host: session.host },
      });
      return reply
        .type('application/x-asciicast')
        .header('cache-control', 'no-store')
        .send(Readable.from(recordingText(db, session)));
    });
  };
