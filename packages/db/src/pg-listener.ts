import type pg from 'pg';
import { checkChannel } from './channels.ts';
import { guarded, type Listen, type ListenerLog, type ListenOptions } from './listener.ts';

export interface PgListenerOptions {
  /** A new, unconnected client: LISTEN needs a connection of its own, outside the pool. */
  newClient: () => pg.Client;
  log?: ListenerLog | undefined;
  /** Milliseconds to wait before reconnect attempt `attempt` (1, 2, …). */
  retryDelayMs?: ((attempt: number) => number) | undefined;
}

export interface PgListener {
  listen: Listen;
  /** Ends the connection and any reconnecting; later `listen` calls fail. */
  close(): Promise<void>;
}

interface Subscriber {
  onPayload: (payload: string) => void;
  options: ListenOptions;
}

interface Channel {
  subscribers: Set<Subscriber>;
  /** Settles when the connection LISTENs to the channel. */
  listening: Promise<void>;
}

/** 250 ms, doubling, at most 30 s. */
export const defaultRetryDelayMs = (attempt: number): number => Math.min(30_000, 250 * 2 ** Math.min(attempt - 1, 7));

const asError = (value: unknown): Error => (value instanceof Error ? value : new Error(String(value)));
const quoted = (channel: string): string => `"${checkChannel(channel)}"`;

/**
 * One dedicated connection that LISTENs on every channel someone subscribed to. It opens on
 * the first subscription; when it breaks it is opened again with backoff, LISTENs again,
 * and tells subscribers through `onReconnect` that they may have missed notices.
 */
export function pgListener(options: PgListenerOptions): PgListener {
  const { newClient, log } = options;
  const retryDelayMs = options.retryDelayMs ?? defaultRetryDelayMs;
  const channels = new Map<string, Channel>();
  let current: pg.Client | null = null;
  let ready: Promise<pg.Client> | null = null;
  let closed = false;
  let cancelWait: (() => void) | null = null;

  const deliver = (message: pg.Notification): void => {
    for (const subscriber of channels.get(message.channel)?.subscribers ?? []) subscriber.onPayload(message.payload ?? '');
  };

  const lost = (client: pg.Client, error: Error): void => {
    if (client !== current) return;
    current = null;
    client.end().catch(() => undefined);
    if (closed) return;
    log?.({ type: 'disconnected', error });
    ready = null;
    if (channels.size === 0) return; // the next subscription connects again
    const reconnecting = reconnect();
    reconnecting.catch(() => undefined);
    ready = reconnecting;
  };

  async function connect(): Promise<pg.Client> {
    const client = newClient();
    // Errors come as events on an idle connection; without a handler they would crash the process.
    client.on('error', (error) => lost(client, error));
    client.on('end', () => lost(client, new Error('the listening connection ended')));
    client.on('notification', deliver);
    try {
      await client.connect();
      for (const channel of channels.keys()) await client.query(`LISTEN ${quoted(channel)}`);
      if (closed) throw new Error('the listener is closed');
    } catch (error) {
      await client.end().catch(() => undefined);
      throw asError(error);
    }
    // Only now is it the connection: a failure before this is connect()'s to report, not lost()'s.
    current = client;
    return client;
  }

  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      cancelWait = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function reconnect(): Promise<pg.Client> {
    for (let attempt = 1; ; attempt++) {
      await wait(retryDelayMs(attempt));
      if (closed) throw new Error('the listener is closed');
      try {
        const client = await connect();
        log?.({ type: 'reconnected', attempt, channels: [...channels.keys()] });
        for (const [name, channel] of channels) {
          for (const s of channel.subscribers) if (s.options.onReconnect) guarded(name, s.options.onReconnect, log)('');
        }
        return client;
      } catch (error) {
        if (closed) throw asError(error);
        log?.({ type: 'retry-failed', error: asError(error), attempt, nextInMs: retryDelayMs(attempt + 1) });
      }
    }
  }

  /** The live connection; the first one is opened here and its failure is the caller's. */
  function connection(): Promise<pg.Client> {
    if (!ready) {
      const opening = connect();
      ready = opening;
      opening.catch(() => {
        if (ready === opening) ready = null;
      });
    }
    return ready;
  }

  const listen: Listen = async (name, onPayload, listenOptions = {}) => {
    checkChannel(name);
    if (closed) throw new Error('the listener is closed');
    const subscriber: Subscriber = { onPayload: guarded(name, onPayload, log), options: listenOptions };
    let channel = channels.get(name);
    if (!channel) {
      // Later subscribers to the same channel wait for this LISTEN too, not just the connection.
      channel = { subscribers: new Set(), listening: connection().then(async (client) => void (await client.query(`LISTEN ${quoted(name)}`))) };
      channels.set(name, channel);
    }
    const mine = channel;
    mine.subscribers.add(subscriber);
    const unsubscribe = async (): Promise<void> => {
      if (!mine.subscribers.delete(subscriber) || mine.subscribers.size > 0 || channels.get(name) !== mine) return;
      channels.delete(name);
      // A broken connection has forgotten the channel anyway, and the next one will not LISTEN to it.
      await current?.query(`UNLISTEN ${quoted(name)}`).catch(() => undefined);
    };
    try {
      await mine.listening;
    } catch (error) {
      await unsubscribe();
      throw asError(error);
    }
    return unsubscribe;
  };

  const close = async (): Promise<void> => {
    closed = true;
    cancelWait?.();
    const client = current;
    current = null;
    ready = null;
    channels.clear();
    await client?.end().catch(() => undefined);
  };

  return { listen, close };
}
