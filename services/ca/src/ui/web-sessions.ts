import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '@access/db';

/** How long a browser stays signed in to the web UI, at most; signing in again starts anew. */
export const WEB_SESSION_TTL_SECONDS = 8 * 3600;

const SECRET_FORMAT = /^acw_[A-Za-z0-9_-]{43}$/;
const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

export interface WebSession {
  id: string;
  userId: string;
  expiresAt: Date;
}

/** Browser sessions of the web UI: a random secret in an HttpOnly cookie, its hash in the database. */
export interface WebSessions {
  /** A new session for a person who just signed in; the secret goes into the cookie and nowhere else. */
  open(userId: string, remote: string | null): Promise<{ secret: string; session: WebSession }>;
  /** The session a cookie names, or null when it is unknown, malformed, expired or ended. */
  find(secret: string | undefined): Promise<WebSession | null>;
  /** Ends one session (sign-out). */
  end(secret: string): Promise<boolean>;
  /** Ends every session of a person (lock). */
  endAll(userId: string): Promise<number>;
  /** The anti-CSRF token of a session: derived from its secret, so nothing more is stored. */
  csrfToken(secret: string): string;
  /** True when `given` is the session's anti-CSRF token (constant time). */
  csrfMatches(secret: string, given: unknown): boolean;
}

export function createWebSessions(deps: { db: Db; clock: () => Date }): WebSessions {
  const { db, clock } = deps;
  const csrfToken = (secret: string) => createHmac('sha256', secret).update('access web csrf').digest('base64url');
  return {
    async open(userId, remote) {
      const secret = `acw_${randomBytes(32).toString('base64url')}`;
      const now = clock();
      const session = { id: `wbs_${randomBytes(8).toString('hex')}`, userId, expiresAt: new Date(now.getTime() + WEB_SESSION_TTL_SECONDS * 1000) };
      await db
        .insertInto('web_sessions')
        .values({ id: session.id, token_hash: sha256(secret), user_id: userId, remote, created_at: now, expires_at: session.expiresAt })
        .execute();
      return { secret, session };
    },
    async find(secret) {
      if (!secret || !SECRET_FORMAT.test(secret)) return null;
      const row = await db.selectFrom('web_sessions').select(['id', 'user_id', 'expires_at', 'revoked_at']).where('token_hash', '=', sha256(secret)).executeTakeFirst();
      if (!row || row.revoked_at || row.expires_at <= clock()) return null;
      return { id: row.id, userId: row.user_id, expiresAt: row.expires_at };
    },
    async end(secret) {
      if (!SECRET_FORMAT.test(secret)) return false;
      const result = await db.updateTable('web_sessions').set({ revoked_at: clock() }).where('token_hash', '=', sha256(secret)).where('revoked_at', 'is', null).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async endAll(userId) {
      const result = await db.updateTable('web_sessions').set({ revoked_at: clock() }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    csrfToken,
    csrfMatches(secret, given) {
      if (typeof given !== 'string') return false;
      const expected = Buffer.from(csrfToken(secret));
      const actual = Buffer.from(given);
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },
  };
}
