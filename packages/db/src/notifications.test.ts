import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelNameError, notify } from './channels.ts';
import type { ListenerEvent } from './listener.ts';
import { openDatabase } from './open-database.ts';
import { pgListener } from './pg-listener.ts';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from './test-databases.ts';

/** Payloads heard on a channel, and a way to wait for the next few. */
function inbox() {
  const heard: string[] = [];
  const waiters: Array<() => void> = [];
  return {
    heard,
    onPayload: (payload: string) => {
      heard.push(payload);
      for (const wake of waiters.splice(0)) wake();
    },
    async until(count: number, timeoutMs = 5000): Promise<string[]> {
      const deadline = Date.now() + timeoutMs;
      while (heard.length < count) {
        if (Date.now() > deadline) throw new Error(`heard ${heard.length} notices, wanted ${count}: ${JSON.stringify(heard)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 20);
        });
      }
      return heard;
    },
  };
}

/** Long enough for a notice that is coming anyway to arrive. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

describe.each(testDatabaseKinds())('notifications on %s', (kind) => {
  let handle: TestDatabase;
  beforeAll(async () => {
    handle = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await handle.close();
  });

  it('delivers a notice once its transaction commits, never one rolled back', async () => {
    const box = inbox();
    const stop = await handle.listen('test_commit', box.onPayload);
    await handle.db.transaction().execute(async (trx) => {
      await notify(trx, 'test_commit', 'first');
      await settle();
      expect(box.heard).toEqual([]);
    });
    await expect(
      handle.db.transaction().execute(async (trx) => {
        await notify(trx, 'test_commit', 'rolled back');
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await notify(handle.db, 'test_commit', 'second');
    expect(await box.until(2)).toEqual(['first', 'second']);
    await settle();
    expect(box.heard).toEqual(['first', 'second']);
    await stop();
  });

  it('stops delivering after unsubscribe, to that subscriber only', async () => {
    const kept = inbox();
    const dropped = inbox();
    const stopKept = await handle.listen('test_unsub', kept.onPayload);
    const stopDropped = await handle.listen('test_unsub', dropped.onPayload);
    await notify(handle.db, 'test_unsub', 'both');
    await kept.until(1);
    await dropped.until(1);
    await stopDropped();
    await stopDropped();
    await notify(handle.db, 'test_unsub', 'one');
    expect(await kept.until(2)).toEqual(['both', 'one']);
    await stopKept();
    await notify(handle.db, 'test_unsub', 'none');
    await settle();
    expect(kept.heard).toEqual(['both', 'one']);
    expect(dropped.heard).toEqual(['both']);
  });

  it('keeps channels apart and survives a subscriber that throws', async () => {
    const a = inbox();
    const stopThrower = await handle.listen('test_a', () => {
      throw new Error('subscriber bug');
    });
    const stopA = await handle.listen('test_a', a.onPayload);
    const stopB = await handle.listen('test_b', () => a.onPayload('wrong channel'));
    await notify(handle.db, 'test_a', JSON.stringify({ x: 1 }));
    expect(await a.until(1)).toEqual(['{"x":1}']);
    await settle();
    expect(a.heard).toEqual(['{"x":1}']);
    await Promise.all([stopThrower(), stopA(), stopB()]);
  });

  it('refuses a channel name that is not a plain lowercase identifier', async () => {
    for (const bad of ['', 'Upper', '1st', 'a-b', 'a"; drop table users; --', 'x'.repeat(64)]) {
      await expect(handle.listen(bad, () => undefined)).rejects.toBeInstanceOf(ChannelNameError);
      await expect(notify(handle.db, bad, 'x')).rejects.toBeInstanceOf(ChannelNameError);
    }
  });
});

describe.runIf(testDatabaseKinds().includes('postgres'))('the PostgreSQL listening connection', () => {
  let handle: TestDatabase;
  beforeAll(async () => {
    handle = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await handle.close();
  });

  it('reconnects after its connection is killed, LISTENs again and says notices may have been missed', async () => {
    const events: ListenerEvent[] = [];
    const database = await openDatabase({ url: handle.url, poolSize: 2, onListenerEvent: (e) => events.push(e) });
    try {
      const box = inbox();
      let reconnects = 0;
      await database.listen('test_reconnect', box.onPayload, { onReconnect: () => reconnects++ });
      await notify(handle.db, 'test_reconnect', 'before');
      await box.until(1);

      const { rows } = await terminateListener(handle.url!);
      expect(rows).toBe(1);
      const deadline = Date.now() + 10_000;
      while (reconnects === 0 && Date.now() < deadline) await settle();
      expect(reconnects).toBe(1);
      expect(events.map((e) => e.type)).toEqual(['disconnected', 'reconnected']);
      expect(events[1]).toMatchObject({ channels: ['test_reconnect'] });

      await notify(handle.db, 'test_reconnect', 'after');
      expect(await box.until(2)).toEqual(['before', 'after']);
    } finally {
      await database.close();
    }
  });

  it('rejects the first subscription when the server cannot be reached, and works once it can', async () => {
    let url = 'postgres://postgres@127.0.0.1:1/nowhere';
    const listener = pgListener({ newClient: () => new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 }) });
    try {
      await expect(listener.listen('test_late', () => undefined)).rejects.toThrow();
      url = handle.url!;
      const box = inbox();
      await listener.listen('test_late', box.onPayload);
      await notify(handle.db, 'test_late', 'reached');
      expect(await box.until(1)).toEqual(['reached']);
    } finally {
      await listener.close();
    }
    await expect(listener.listen('test_late', () => undefined)).rejects.toThrow(/closed/);
  });
});

/** Ends the listener's backend from outside, as a failover or an admin would. */
async function terminateListener(url: string): Promise<{ rows: number }> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const result = await admin.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'access-listener' and datname = current_database()",
    );
    return { rows: result.rowCount ?? 0 };
  } finally {
    await admin.end();
  }
}
