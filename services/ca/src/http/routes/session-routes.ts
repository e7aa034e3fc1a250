import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { auditRecordingRead } from '../../sessions/session-read-audit.ts';
import { lastChunkSeq, readRecordingSince, recordingText } from '../../sessions/session-recording.ts';
import { sessionScope } from '../../sessions/session-scope.ts';
import { getSession, listSessions, type Session } from '../../sessions/session-store.ts';
import { checkTerminateReason, terminateSession } from '../../sessions/session-terminate.ts';
import { sessionTranscript, transcriptDocument, transcriptFilename } from '../../sessions/session-transcript.ts';
import { requireCaller } from '../caller.ts';
import type { CaServices } from '../services.ts';
import { objectBody, queryParams } from './request-input.ts';
import { parseRecordingQuery, parseSessionQuery } from './session-query.ts';

const iso = (date: Date | null): string | null => date?.toISOString() ?? null;

/** The last chunk seq a recording answer holds (-1: none yet): the next `?after=`. */
export const CHUNK_SEQ_HEADER = 'x-access-chunk-seq';
/** The session's status when the answer was read: `live`, `ended` or `interrupted`. */
export const SESSION_STATUS_HEADER = 'x-access-session-status';
/** `true` when a follow answer stopped at its size bound: ask again at once. */
export const MORE_HEADER = 'x-access-more';

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

type ById = FastifyRequest<{ Params: { id: string } }>;

/**
 * Sessions the gateways recorded, their recordings and transcripts. Any signed-in person
 * reads their own sessions; the audit capability reads everyone's (`sessionScope`); someone
 * else's session answers 404 like an unknown one. Terminating one needs admin.
 */
export const sessionRoutes = (services: CaServices): FastifyPluginAsync =>
  async (app) => {
    const db = services.database.db;
    const read = { onRequest: requireCaller(services, 'user') };
    const admin = { onRequest: requireCaller(services, 'admin') };
    const visible = (request: ById) => getSession(db, request.params.id, sessionScope(request.caller!));
    const audited = (request: ById, session: Session, format: 'cast' | 'text', follow: boolean) =>
      auditRecordingRead({ db, audit: services.audit }, { actor: request.caller!.actor, remote: request.ip, session, format, follow });

    app.get('/v1/sessions', read, async (request) => ({
      sessions: (await listSessions(db, parseSessionQuery(request.query), sessionScope(request.caller!))).map(sessionJson),
    }));

    app.get<{ Params: { id: string } }>('/v1/sessions/:id', read, async (request) => {
      queryParams(request.query, []);
      return sessionJson(await visible(request));
    });

    // The whole recording, or with `?after=<seq>` only the chunks flushed since: a live view
    // polls with the seq of the last answer's x-access-chunk-seq.
    app.get<{ Params: { id: string } }>('/v1/sessions/:id/recording', read, async (request, reply) => {
      const { after } = parseRecordingQuery(request.query);
      const session = await visible(request);
      await audited(request, session, 'cast', after !== undefined);
      reply.type('application/x-asciicast').header('cache-control', 'no-store');
      if (after === undefined) {
        // The seq is fixed before streaming, so the header names the last chunk sent.
        const through = await lastChunkSeq(db, session.id);
        reply.header(CHUNK_SEQ_HEADER, String(through)).header(SESSION_STATUS_HEADER, session.status);
        return reply.send(Readable.from(recordingText(db, session, { through })));
      }
      const since = await readRecordingSince(db, session, after);
      reply.header(CHUNK_SEQ_HEADER, String(since.lastSeq)).header(SESSION_STATUS_HEADER, since.status).header(MORE_HEADER, String(since.more));
      return reply.send(since.text);
    });

    app.get<{ Params: { id: string } }>('/v1/sessions/:id/transcript', read, async (request, reply) => {
      queryParams(request.query, []);
      const session = await visible(request);
      const transcript = await sessionTranscript(db, session);
      await audited(request, session, 'text', false);
      return reply
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="${transcriptFilename(session)}"`)
        .send(transcriptDocument(session, transcript));
    });

    // 202: the gateway carrying the session ends it within a second; GET the session to see it ended.
    app.post<{ Params: { id: string } }>('/v1/sessions/:id/terminate', admin, async (request, reply) => {
      const reason = checkTerminateReason(objectBody(request.body, ['reason'])['reason']);
      const session = await terminateSession(services, request.params.id, request.caller!.actor, reason, request.ip);
      return reply.status(202).send(sessionJson(session));
    });
  };
