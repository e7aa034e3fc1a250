import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuditActor, AuditLog } from '@access/audit';
import type { Db, MachineTokenRow } from '@access/db';
import { badRequest, notFound } from '../errors.ts';

/** Roles a machine token can hold. `admin` may use every API of this CA. */
/** `admin`: the whole API. `gateway`: only what a recording gateway asks (`/v1/gateway/…`). */
export const TOKEN_ROLES = ['admin', 'gateway'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

const TOKEN_PREFIX = 'acc_';
const TOKEN_FORMAT = /^acc_[A-Za-z0-9_-]{43}$/;
/** Updating `last_used_at` on every request would turn reads into writes; once a minute is enough to review. */
const LAST_USED_RESOLUTION_MS = 60_000;
/**
 * A token that authenticated is trusted again for this long without asking the database:
 * a revocation made on this instance takes effect at once, one made on another instance
 * within this time.
 */
export const TOKEN_CACHE_MS = 5_000;

export interface TokenInfo {
  id: string;
  role: TokenRole;
  description: string;
}

export interface MachineTokens {
  /** Returns the secret once; only its SHA-256 is stored. */
  create(input: { role: string; description: string; ttlSeconds?: number | undefined }, actor: AuditActor): Promise<{ token: string; info: TokenInfo }>;
  /** The token's holder, or null for an unknown, malformed, revoked or expired token. */
  authenticate(secret: string): Promise<TokenInfo | null>;
  revoke(id: string, actor: AuditActor): Promise<void>;
  list(): Promise<MachineTokenRow[]>;
}

const hashToken = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export function createMachineTokens(deps: { db: Db; audit: AuditLog; clock: () => Date }): MachineTokens {
  const { db, audit, clock } = deps;
  const recent = new Map<string, { info: TokenInfo; until: number; expiresAt: number }>();
  return {
    async create(input, actor) {
      if (!(TOKEN_ROLES as readonly string[]).includes(input.role)) {
        throw badRequest('ERR_BAD_ROLE', `unknown token role "${input.role}"; roles: ${TOKEN_ROLES.join(', ')}`);
      }
      const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
      const id = `tok_${randomBytes(8).toString('hex')}`;
      const now = clock();
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('machine_tokens')
          .values({
            id,
            token_hash: hashToken(token),
            role: input.role,
            description: input.description,
            created_by: `${actor.kind}:${actor.id}`,
            created_at: now,
            expires_at: input.ttlSeconds ? new Date(now.getTime() + input.ttlSeconds * 1000) : null,
          })
          .execute();
        await audit.append({ type: 'token.created', actor, details: { tokenId: id, role: input.role, description: input.description } }, trx);
      });
      return { token, info: { id, role: input.role as TokenRole, description: input.description } };
    },

    async authenticate(secret) {
      if (!TOKEN_FORMAT.test(secret)) return null;
      const hash = hashToken(secret);
      const nowMs = clock().getTime();
      const cached = recent.get(hash);
      if (cached && cached.until > nowMs && cached.expiresAt > nowMs) return cached.info;
      recent.delete(hash);
      const row = await db.selectFrom('machine_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
      // The lookup is by hash, so timing reveals nothing about the secret; compare anyway in constant time.
      if (!row || !timingSafeEqual(Buffer.from(row.token_hash), Buffer.from(hash))) return null;
      const now = clock();
      if (row.revoked_at || (row.expires_at && row.expires_at <= now)) return null;
      if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
        await db.updateTable('machine_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
      }
      const info: TokenInfo = { id: row.id, role: row.role as TokenRole, description: row.description };
      if (recent.size > 10_000) recent.clear();
      recent.set(hash, { info, until: now.getTime() + TOKEN_CACHE_MS, expiresAt: row.expires_at?.getTime() ?? Infinity });
      return info;
    },

    async revoke(id, actor) {
      await db.transaction().execute(async (trx) => {
        const done = await trx.updateTable('machine_tokens').set({ revoked_at: clock() }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
        if (done.numUpdatedRows === 0n) throw notFound('ERR_UNKNOWN_TOKEN', `no active token with id ${id}`);
        for (const [hash, entry] of recent) if (entry.info.id === id) recent.delete(hash);
        await audit.append({ type: 'token.revoked', actor, details: { tokenId: id } }, trx);
      });
    },

    list: () => db.selectFrom('machine_tokens').selectAll().orderBy('created_at').execute(),
  };
}
