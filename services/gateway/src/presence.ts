import { randomBytes } from 'node:crypto';
import type { AuditLog } from '@access/audit';
import type { Db } from '@access/db';
import { sql } from 'kysely';

export interface PresenceDeps {
  /** This gateway process (`newGatewayId()`). */
  gatewayId: string;
  db: Db;
  audit: AuditLog;
  clock: () => Date;
  address: string;
  /** How often this gateway says it is alive (ms). */
  heartbeatMs: number;
  /** A gateway silent this long (ms) is gone: its live sessions were interrupted. */
  staleMs: number;
  /**
   * The database belongs to this process alone (the embedded one): any other gateway's
   * live session was interrupted, however recent its heartbeat.
   */
  exclusive: boolean;
  onError?: (error: unknown) => void;
  /** Monotonic milliseconds (how long this gateway has been in touch with the database). */
  monotonic?: () => number;
  /** Told the ids of sessions a sweep marked interrupted, once that is committed. */
  onInterrupted?: (sessionIds: string[]) => void;
}

export interface Presence {
  readonly gatewayId: string;
  /** Marks the sessions of gone gateways interrupted; returns how many. */
  sweep(): Promise<number>;
  stop(): Promise<void>;
}

export const newGatewayId = () => `gw_${randomBytes(8).toString('hex')}`;

/**
 * Registers this gateway process, heartbeats, and marks sessions of gateways that stopped
 * heartbeating (killed, crashed, cut off) as interrupted, with a `session.interrupted` event.
 * Their recordings stay readable up to the last flush.
 *
 * Heartbeats and the staleness cutoff use the database's clock, so gateways whose clocks
 * differ still judge each other right. A gateway that was itself cut off from the database
 * sweeps again only after `staleMs` of heartbeats: the others were cut off too, perhaps,
 * and need as long to be heard again.
 */
export async function startPresence(deps: PresenceDeps): Promise<Presence> {
  const { db, audit, clock, gatewayId } = deps;
  const monotonic = deps.monotonic ?? (() => performance.now());
  const now = clock();
  await db.insertInto('gateways').values({ id: gatewayId, address: deps.address, started_at: now, heartbeat_at: sql<Date>`now()` }).execute();
  /** Since when heartbeats have succeeded without a gap; null after one failed. */
  let inTouchSince: number | null = monotonic();

  async function sweep(exclusive = false): Promise<number> {
    const cutoff = sql<Date>`now() - make_interval(secs => ${deps.staleMs / 1000})`;
    const ids = await db.transaction().execute(async (trx) => {
      const gone = trx
        .selectFrom('gateways')
        .select('id')
        .where('id', '!=', gatewayId)
        .where((eb) => (exclusive ? eb.lit(true) : eb.or([eb('heartbeat_at', '<', cutoff), eb('stopped_at', 'is not', null)])));
      const rows = await trx
        .updateTable('sessions')
        .set((eb) => ({ status: 'interrupted', ended_at: eb.fn.coalesce('recorded_until', 'started_at'), end_reason: 'the gateway carrying it stopped unexpectedly' }))
        .where('status', '=', 'live')
        .where('gateway_id', 'in', gone)
        .returning(['id', 'user_id', 'user_email', 'login', 'host', 'connection_id', 'client_address', 'recorded_until', 'gateway_id'])
        .execute();
      if (rows.length > 0) {
        await audit.appendMany(
          rows.map((r) => ({
            type: 'session.interrupted' as const,
            actor: { kind: 'user' as const, id: r.user_id, name: r.user_email },
            remote: r.client_address,
            details: {
              sessionId: r.id,
              connectionId: r.connection_id,
              login: r.login,
              host: r.host,
              gatewayId: r.gateway_id,
              recordedUntil: r.recorded_until?.toISOString() ?? null,
            },
          })),
          trx,
        );
      }
      return rows.map((r) => r.id);
    });
    if (ids.length > 0) deps.onInterrupted?.(ids);
    return ids.length;
  }

  await sweep(deps.exclusive);
  const beat = setInterval(() => {
    db.updateTable('gateways')
      .set({ heartbeat_at: sql<Date>`now()` })
      .where('id', '=', gatewayId)
      .execute()
      .then(() => {
        inTouchSince ??= monotonic();
        return monotonic() - inTouchSince >= deps.staleMs ? sweep() : 0;
      })
      .catch((error: unknown) => {
        inTouchSince = null;
        deps.onError?.(error);
      });
  }, deps.heartbeatMs);
  beat.unref();

  return {
    gatewayId,
    sweep: () => sweep(),
    async stop() {
      clearInterval(beat);
      await db.updateTable('gateways').set({ stopped_at: clock(), heartbeat_at: sql<Date>`now()` }).where('id', '=', gatewayId).execute();
    },
  };
}
