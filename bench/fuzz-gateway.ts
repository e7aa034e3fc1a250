// Pre-authentication fuzz of the gateway at scale: `npx tsx bench/fuzz-gateway.ts [connections|quick] [seed]`
// (default 100,000 connections; quick: 5,000). Raw TCP peers send random and mutated SSH
// packets (test/robustness/preauth-fuzz-cases.ts) to a gateway in this process. Exits
// non-zero if anyone signed in, the gateway refused connections, or its sockets stayed open.
import type { Db } from '@access/db';
import { forceGc, settledHeap } from '../test/robustness/force-gc.ts';
import { runFuzz } from '../test/robustness/preauth-fuzz-cases.ts';
import { startGatewayStack } from '../test/support/gateway-stack.ts';

const arg = process.argv[2];
const connections = arg === 'quick' ? 5_000 : Number(arg ?? 100_000);
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
if (!Number.isSafeInteger(connections) || connections <= 0 || !Number.isSafeInteger(seed)) {
  console.error('usage: npx tsx bench/fuzz-gateway.ts [connections|quick] [seed]');
  process.exit(2);
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const sessions = async (db: Db) => Number((await db.selectFrom('sessions').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirst())?.n ?? 0);

// Every peer is 127.0.0.1: without lifting the per-address limits nearly all would be turned
// away before ssh2 parses a byte (test/robustness/connection-limits.test.ts covers those).
const stack = await startGatewayStack({ gatewayLimits: { connectionRate: '100000', connectionBurst: '100000', maxUnauthenticated: '100000' } });
let failed = true;
try {
  const gateway = stack.server.gateway!;
  const db = stack.server.services.database.db;
  const gc = forceGc();
  const heapBefore = gc ? settledHeap(gc) : process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  const sessionsBefore = await sessions(db);
  let signedIn = 0;
  const started = performance.now();
  const stats = await runFuzz({
    port: stack.gatewayPort,
    seed,
    count: connections,
    concurrency: 64,
    holdMs: 400,
    onProgress: (done) => {
      signedIn = Math.max(signedIn, gateway.liveConnections());
      // The stack keeps the gateway's log lines in an array; that is the bench's memory, not the gateway's.
      if (done % 1000 === 0) stack.log.length = 0;
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const drainDeadline = Date.now() + 10_000;
  while (gateway.openSockets() > 0 && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 50));
  stack.log.length = 0;
  const heapAfter = gc ? settledHeap(gc) : process.memoryUsage().heapUsed;
  const newSessions = (await sessions(db)) - sessionsBefore;
  console.table({
    seed,
    connections: stats.connections,
    seconds: Number(seconds.toFixed(1)),
    'connections/s': Math.round(stats.connections / seconds),
    'closed by gateway': stats.closedByGateway,
    'held to our deadline': stats.heldToDeadline,
    'socket errors': `${stats.errors} ${JSON.stringify(stats.errorCodes)}`,
    'RSS before → after': `${mib(rssBefore)} → ${mib(process.memoryUsage().rss)}`,
    [`heap before → after${gc ? ' (GC)' : ' (no GC)'}`]: `${mib(heapBefore)} → ${mib(heapAfter)}`,
    'gateway sockets open after': gateway.openSockets(),
    'new session rows': newSessions,
    'authenticated (must be 0)': signedIn,
  });
  failed = signedIn > 0 || newSessions > 0 || (stats.errorCodes['ECONNREFUSED'] ?? 0) > 0 || gateway.openSockets() > 0;
} finally {
  await stack.stop();
}
process.exit(failed ? 1 : 0);
