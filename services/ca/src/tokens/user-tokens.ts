import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '@access/db';

const TOKEN_FORMAT = /^acu_[A-Za-z0-9_-]{43}$/;
const hashToken = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export interface UserTokens {
  /** A new API token for a person, valid as long as their certificate; the secret is returned once. */
  issue(userId: string, expiresAt: Date): Promise<{ token: string; id: string }>;
  /** The token's user id, or null for an unknown, malformed, revoked or expired token. */
  authenticate(secret: string): Promise<{ tokenId: string; userId: string } | null>;
  /** Ends every token of a person (logout, lock). */
  revokeAll(userId: string): Promise<number>;
  revoke(secret: string): Promise<boolean>;
}

export function createUserTokens(deps: { db: Db; clock: () => Date }): UserTokens {
  const { db, clock } = deps;
  return {
    async issue(userId, expiresAt) {
      const token = `acu_${randomBytes(32).toString('base64url')}`;
      const id = `utk_${randomBytes(8).toString('hex')}`;
      await db.insertInto('user_tokens').values({ id, user_id: userId, token_hash: hashToken(token), created_at: clock(), expires_at: expiresAt }).execute();
      return { token, id };
    },
    async authenticate(secret) {
      if (!TOKEN_FORMAT.test(secret)) return null;
      const row = await db.selectFrom('user_tokens').select(['id', 'user_id', 'expires_at', 'revoked_at']).where('token_hash', '=', hashToken(secret)).executeTakeFirst();
      if (!row || row.revoked_at || row.expires_at <= clock()) return null;
      return { tokenId: row.id, userId: row.user_id };
    },
    async revokeAll(userId) {
      const result = await db.updateTable('user_tokens').set({ revoked_at: clock() }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async revoke(secret) {
      if (!TOKEN_FORMAT.test(secret)) return false;
      const result = await db.updateTable('user_tokens').set({ revoked_at: clock() }).where('token_hash', '=', hashToken(secret)).where('revoked_at', 'is', null).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}
