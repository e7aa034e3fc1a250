import type { Db, LoginMode, LoginRow, LoginsTable, LoginStatus } from '@access/db';
import type { Updateable } from 'kysely';

/** One `access login`, as the domain sees it. */
export interface Login {
  id: string;
  mode: LoginMode;
  publicKey: string;
  secretHash: string;
  callbackPort: number | null;
  userCode: string | null;
  oidcNonce: string | null;
  oidcCodeVerifier: string | null;
  requesterIp: string | null;
  status: LoginStatus;
  userId: string | null;
  callbackCodeHash: string | null;
  callbackCodeExpiresAt: Date | null;
  csrfHash: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  expiresAt: Date;
  createdAt: Date;
  lastPollAt: Date | null;
}

export function toLogin(row: LoginRow): Login {
  return {
    id: row.id,
    mode: row.mode,
    publicKey: row.public_key,
    secretHash: row.secret_hash,
    callbackPort: row.callback_port,
    userCode: row.user_code,
    oidcNonce: row.oidc_nonce,
    oidcCodeVerifier: row.oidc_code_verifier,
    requesterIp: row.requester_ip,
    status: row.status,
    userId: row.user_id,
    callbackCodeHash: row.callback_code_hash,
    callbackCodeExpiresAt: row.callback_code_expires_at,
    csrfHash: row.csrf_hash,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    lastPollAt: row.last_poll_at,
  };
}

/** Statuses a login can still move on from. */
export const OPEN_STATUSES: readonly LoginStatus[] = ['pending', 'signed_in', 'approved'];

export async function findLogin(db: Db, id: string): Promise<Login | null> {
  if (!/^lgn_[0-9a-f]{32}$/.test(id)) return null;
  const row = await db.selectFrom('logins').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toLogin(row) : null;
}

export async function findByUserCode(db: Db, userCode: string): Promise<Login | null> {
  const row = await db.selectFrom('logins').selectAll().where('user_code', '=', userCode).where('status', 'in', OPEN_STATUSES).executeTakeFirst();
  return row ? toLogin(row) : null;
}

/**
 * Takes the login this OIDC state belongs to, once: the state is cleared in the same
 * statement, so a replayed or concurrent callback finds nothing.
 */
export async function claimByState(db: Db, state: string): Promise<Login | null> {
  const row = await db
    .updateTable('logins')
    .set({ oidc_state: null })
    .where('oidc_state', '=', state)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
  return row ? toLogin(row) : null;
}

/** Moves a login from one status to the next only if nobody else did first; false if it lost the race. */
export async function transition(db: Db, id: string, from: LoginStatus, to: LoginStatus, set: Updateable<LoginsTable> = {}): Promise<boolean> {
  const result = await db
    .updateTable('logins')
    .set({ ...set, status: to })
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Ends an open login with a refusal: nothing more can be done with it. */
export async function failLogin(db: Db, id: string, status: 'failed' | 'expired', error: { code: string; message: string }, now: Date): Promise<void> {
  await db
    .updateTable('logins')
    .set({ status, error_code: error.code, error_message: error.message.slice(0, 1000), completed_at: now, oidc_state: null })
    .where('id', '=', id)
    .where('status', 'in', OPEN_STATUSES)
    .execute();
}
