import type { Db } from '@access/db';
import type { Gateway } from '@access/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayStack, type Engineer, type GatewayStack } from '../support/gateway-stack.ts';
import { auditHead, eventually } from '../support/gateway-records.ts';
import { forceGc, settledHeap } from './force-gc.ts';
import { runFuzz } from './preauth-fuzz-cases.ts';

/** Connections per run: enough to meet every case many times and stay well under a minute on 2 cores. */
const CONNECTIONS = Number(process.env['ACCESS_FUZZ_CONNECTIONS'] ?? 1500);
const SEED = Number(process.env['ACCESS_FUZZ_SEED'] ?? Date.now() % 2 ** 31);
/** Heap the gateway may keep after the run (after a full GC): far below what a per-connection leak would keep. */
const HEAP_GROWTH_BOUND = 24 * 1024 * 1024;

async function sessionCount(db: Db): Promise<number> {
  const row = await db.selectFrom('sessions').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirst();
  return Number(row?.n ?? 0);
}

describe('the gateway before authentication', () => {
  let stack: GatewayStack;
  let gateway: Gateway;
  let alice: Engineer;
  beforeAll(async () => {
    // Every fuzz connection comes from 127.0.0.1: the per-address limits would refuse most
    // before they reach ssh2, which is what this suite tests.
    stack = await startGatewayStack({ gatewayLimits: { connectionRate: '100000', connectionBurst: '100000', maxUnauthenticated: '100000' } });
    gateway = stack.server.gateway!;
    await stack.addTarget('web-1');
    alice = await stack.addEngineer('alice@example.com', ['gwfuzz']);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('survives random and mutated packets from raw TCP peers without signing anyone in or leaking', { timeout: 90_000 }, async () => {
    console.log(`preauth fuzz: seed ${SEED} (ACCESS_FUZZ_SEED=${SEED} repeats it), ${CONNECTIONS} connections`);
    const db = stack.server.services.database.db;
    const gc = forceGc();
    const heapBefore = gc ? settledHeap(gc) : process.memoryUsage().heapUsed;
    const headBefore = await auditHead(db);
    const sessionsBefore = await sessionCount(db);
    let maxSignedIn = 0;
    const started = performance.now();

    const stats = await runFuzz({
      port: stack.gatewayPort,
      seed: SEED,
      count: CONNECTIONS,
      concurrency: 32,
      holdMs: 400,
      onProgress: () => (maxSignedIn = Math.max(maxSignedIn, gateway.liveConnections())),
    });
    const seconds = (performance.now() - started) / 1000;

    expect(stats.connections).toBe(CONNECTIONS);
    // A refused connection would mean the gateway stopped listening.
    expect(stats.errorCodes['ECONNREFUSED'] ?? 0).toBe(0);
    expect(maxSignedIn).toBe(0);
    // Every socket the fuzz opened is gone on the gateway's side too.
    await eventually(async () => (gateway.openSockets() === 0 ? true : undefined), 'the gateway to close every fuzz socket', 10_000);

    // Nothing was recorded or signed in: no session rows, no session/login events.
    expect(await sessionCount(db)).toBe(sessionsBefore);
    const events = await db.selectFrom('audit_events').select(['type']).where('seq', '>', headBefore).execute();
    expect(events.map((e) => e.type).filter((t) => /^(session|user|port|file)\./.test(t))).toEqual([]);

    stack.log.length = 0; // the test's own copy of the gateway's log lines, not the gateway's memory
    const heapAfter = gc ? settledHeap(gc) : process.memoryUsage().heapUsed;
    console.log(
      `preauth fuzz: ${stats.connections} connections in ${seconds.toFixed(1)} s; closed by the gateway ${stats.closedByGateway}, ` +
        `held to our deadline ${stats.heldToDeadline}, socket errors ${JSON.stringify(stats.errorCodes)}; ` +
        `heap ${(heapBefore / 2 ** 20).toFixed(1)} → ${(heapAfter / 2 ** 20).toFixed(1)} MiB${gc ? ' (after GC)' : ' (no GC available: not asserted)'}`,
    );
    if (gc) expect(heapAfter - heapBefore).toBeLessThan(HEAP_GROWTH_BOUND);

    // And a real engineer still gets through.
    const r = await alice.ssh(['gwfuzz@web-1', 'echo still-up']);
    expect(r.stdout).toBe('still-up\n');
    expect(r.code).toBe(0);
  });
});
