import { createHash, randomBytes } from 'node:crypto';
import type { AuditActor, AuditLog } from '@access/audit';
import type { Db } from '@access/db';
import type { Transaction } from 'kysely';
import type { Database } from '@access/db';
import { parseDuration, formatDuration } from '../duration.ts';
import { badRequest } from '../errors.ts';
import { checkHostName } from '../identity/hosts.ts';
import { validateHostLabels } from '../identity/labels.ts';
import { EnrollRefusal } from './enroll-refusal.ts';

export const JOIN_TOKEN_PREFIX = 'acj_';
const JOIN_TOKEN_FORMAT = /^acj_[A-Za-z0-9_-]{43}$/;
export const DEFAULT_JOIN_TOKEN_TTL = 3600;
export const MAX_JOIN_TOKEN_TTL = 86_400;

export interface JoinTokenRequest {
  labels?: Record<string, string> | undefined;
  ttl?: string | number | undefined;
  /** The only name a host may enroll under with this token. */
  name?: string | undefined;
}

export interface CreatedJoinToken {
  /** Shown once; only its SHA-256 is stored. */
  token: string;
  id: string;
  labels: Record<string, string>;
  name: string | null;
  expiresAt: Date;
}

/** A token found by its secret, still unused and unexpired. */
export interface UsableJoinToken {
  id: string;
  labels: Record<string, string>;
  name: string | null;
}

export const hashJoinToken = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export const looksLikeJoinToken = (value: string): boolean => JOIN_TOKEN_FORMAT.test(value);

export async function createJoinToken(deps: { db: Db; audit: AuditLog; clock: () => Date }, request: JoinTokenRequest, actor: AuditActor): Promise<CreatedJoinToken> {
  const ttl = request.ttl === undefined ? DEFAULT_JOIN_TOKEN_TTL : parseDuration(request.ttl, 'ttl');
  if (ttl > MAX_JOIN_TOKEN_TTL) {
    throw badRequest('ERR_TTL_TOO_LONG', `a join token lives at most ${formatDuration(MAX_JOIN_TOKEN_TTL)}; asked for ${formatDuration(ttl)}`);
  }
  const labels = validateHostLabels(request.labels ?? {});
  const name = request.name === undefined ? null : checkHostName(request.name);
  const token = JOIN_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const id = `hjt_${randomBytes(8).toString('hex')}`;
  const now = deps.clock();
  const expiresAt = new Date(now.getTime() + ttl * 1000);
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('host_join_tokens')
      .values({ id, token_hash: hashJoinToken(token), labels: JSON.stringify(labels), host_name: name, created_by: `${actor.kind}:${actor.id}`, created_at: now, expires_at: expiresAt })
      .execute();
    await deps.audit.append({ type: 'host.token.created', actor, details: { tokenId: id, labels, host: name, expiresAt: expiresAt.toISOString() } }, trx);
  });
  return { token, id, labels, name, expiresAt };
}

type Reader = Db | Transaction<Database>;

/** Why a token cannot be used, or the token; never changes anything. */
export async function findUsableJoinToken(db: Reader, secret: string, now: Date): Promise<UsableJoinToken> {
  if (!looksLikeJoinToken(secret)) throw new EnrollRefusal('ERR_BAD_JOIN_TOKEN', 401, 'the join token is malformed: copy the whole acj_… token from "access hosts token"');
  const row = await db.selectFrom('host_join_tokens').selectAll().where('token_hash', '=', hashJoinToken(secret)).executeTakeFirst();
  if (!row) throw new EnrollRefusal('ERR_BAD_JOIN_TOKEN', 401, 'the join token is not known to this CA: ask an admin for a new one ("access hosts token")');
  if (row.used_at) throw new EnrollRefusal('ERR_JOIN_TOKEN_USED', 401, `the join token was already used (by ${row.used_by ?? 'a host'}); a token enrolls one host once`, row.id);
  if (row.expires_at <= now) throw new EnrollRefusal('ERR_JOIN_TOKEN_EXPIRED', 401, `the join token expired at ${row.expires_at.toISOString()}; ask an admin for a new one`, row.id);
  return { id: row.id, labels: row.labels, name: row.host_name };
}

/**
 * Marks the token used inside the enrolling transaction. The conditional update is the
 * claim: of two concurrent enrollments with one token, exactly one updates a row.
 */
export async function claimJoinToken(trx: Transaction<Database>, id: string, hostName: string, now: Date): Promise<void> {
  const claimed = await trx
    .updateTable('host_join_tokens')
    .set({ used_at: now, used_by: hostName })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (claimed.numUpdatedRows !== 1n) throw new EnrollRefusal('ERR_JOIN_TOKEN_USED', 401, 'the join token was already used; a token enrolls one host once', id);
}
