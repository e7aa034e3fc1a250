import { sql } from 'kysely';
import type { Db } from './schema.ts';

/**
 * The PostgreSQL notification channels the services share, and what their payloads say.
 * A change is announced with `select pg_notify(<channel>, <payload>)` inside the transaction
 * that makes it, so listeners hear of it only once it is committed.
 */

/** A person was locked or unlocked: gateways end a locked person's live sessions. */
export const LOCKS_CHANNEL = 'access_locks';

/** The JSON payload on LOCKS_CHANNEL. */
export interface LockNotice {
  userId: string;
  email: string;
  locked: boolean;
  /** Why they were locked; null on an unlock. */
  reason: string | null;
}

/**
 * Also on LOCKS_CHANNEL: an admin terminated one live session. The gateway carrying it ends
 * the ssh connection it belongs to; the others find no such session and ignore it.
 */
export interface TerminateNotice {
  kind: 'terminate';
  sessionId: string;
  /** The gateway that recorded the session as live, for logs. */
  gatewayId: string;
  /** The admin's reason; null when none was given. */
  reason: string | null;
}

/**
 * Also on LOCKS_CHANNEL: a certificate revocation (`POST /v1/revocations`). Every gateway
 * ends its live connections signed in with a certificate it covers; new sign-ins are
 * refused by the CA, which reads the revocations table.
 */
export interface RevokeNotice {
  kind: 'revoke';
  /** What was revoked, as the revocations table names it. */
  revocation: 'serial' | 'serial_range' | 'key_id' | 'key';
  /** The CA key a serial (range) belongs to; null: certificates of every CA key. */
  caFingerprint: string | null;
  /** Decimal serials; serialTo is null for a single serial. */
  serialFrom: string | null;
  serialTo: string | null;
  keyId: string | null;
  /** `SHA256:…` of a revoked public key (not the key: a notice must stay under 8000 bytes). */
  keyFingerprint: string | null;
  reason: string;
}

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

/** A channel name refused before it reaches SQL. */
export class ChannelNameError extends Error {
  readonly code = 'ERR_CHANNEL_NAME';

  constructor(channel: string) {
    super(`"${channel.slice(0, 80)}" is not a notification channel name: use 1-63 lowercase letters, digits and _, not starting with a digit`);
    this.name = 'ChannelNameError';
  }
}

/**
 * Returns the channel when it is a plain lowercase identifier. Only such names are used, so
 * `LISTEN "<name>"` and `pg_notify('<name>', …)` always mean the same channel.
 */
export function checkChannel(channel: string): string {
  if (typeof channel !== 'string' || !CHANNEL.test(channel)) throw new ChannelNameError(String(channel));
  return channel;
}

/**
 * Announces a change: `select pg_notify(channel, payload)` on `db`, which should be the
 * transaction making the change, so the notice goes out on commit and never on a rollback. PostgreSQL takes
 * payloads under 8000 bytes.
 */
export async function notify(db: Db, channel: string, payload: string): Promise<void> {
  await sql`select pg_notify(${checkChannel(channel)}, ${payload})`.execute(db);
}
