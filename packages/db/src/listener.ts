import type { PGlite } from '@electric-sql/pglite';
import type { PostgresPool } from 'kysely';
import { checkChannel } from './channels.ts';

/** Stops one subscription; calling it again does nothing. */
export type Unsubscribe = () => Promise<void>;

export interface ListenOptions {
  /**
   * Called after the listening connection was lost and is back. Notices sent in between are
   * lost, so a subscriber that must not miss one (a lock) reads the current state again here.
   */
  onReconnect?: () => void;
}

/** What the listening connection went through, for the service's log. */
export type ListenerEvent =
  | { type: 'disconnected'; error: Error }
  | { type: 'retry-failed'; error: Error; attempt: number; nextInMs: number }
  | { type: 'reconnected'; attempt: number; channels: string[] }
  | { type: 'subscriber-failed'; channel: string; error: unknown };

export type ListenerLog = (event: ListenerEvent) => void;

export type Listen = (channel: string, onPayload: (payload: string) => void, options?: ListenOptions) => Promise<Unsubscribe>;

/** A subscriber's exception must not break the connection that delivered the notice. */
export function guarded(channel: string, onPayload: (payload: string) => void, log: ListenerLog | undefined): (payload: string) => void {
  return (payload) => {
    try {
      onPayload(payload);
    } catch (error) {
      log?.({ type: 'subscriber-failed', channel, error });
    }
  };
}

/**
 * PGlite's own `listen`. PGlite is one connection, and a LISTEN sent while a transaction of
 * the pool holds it would join that transaction (and vanish with its rollback), so LISTEN
 * and UNLISTEN wait for the pool's connection like any query. PGlite never disconnects.
 */
export function pgliteListen(database: PGlite, pool: PostgresPool, log?: ListenerLog): Listen {
  const exclusive = async <T>(work: () => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      return await work();
    } finally {
      client.release();
    }
  };
  return async (channel, onPayload) => {
    checkChannel(channel);
    const stop = await exclusive(() => database.listen(channel, guarded(channel, onPayload, log)));
    let stopped = false;
    return async () => {
      if (stopped) return;
      stopped = true;
      await exclusive(() => stop());
    };
  };
}

/** One log line for what the listening connection went through. */
export function describeListenerEvent(event: ListenerEvent): string {
  switch (event.type) {
    case 'disconnected':
      return `lost the database notification connection (${event.error.message}); reconnecting`;
    case 'retry-failed':
      return `could not reconnect for database notifications (attempt ${event.attempt}: ${event.error.message}); next try in ${event.nextInMs} ms`;
    case 'reconnected':
      return `database notifications are back after ${event.attempt} attempt(s) (${event.channels.join(', ') || 'no channels'})`;
    case 'subscriber-failed':
      return `a database notification on ${event.channel} could not be handled: ${(event.error as Error)?.message ?? String(event.error)}`;
  }
}
