// Audit append throughput: `npx tsx bench/audit-append.ts [appends]`.
// Sequential appends and 20 concurrent writers, on embedded PGlite and on the PostgreSQL
// server at ACCESS_BENCH_PG_URL (a scratch database is created there and dropped after).
import { createTestDatabase, type DatabaseKind } from '@access/db';
import { createAuditLog } from '../packages/audit/src/index.ts';
import { issuedEvent } from '../packages/audit/src/testing/audit-fixtures.ts';

const appends = Number(process.argv[2] ?? 1000);
const writers = 20;
if (!Number.isSafeInteger(appends) || appends < writers) {
  console.error(`usage: npx tsx bench/audit-append.ts [appends, at least ${writers}]`);
  process.exit(2);
}
const env = { ACCESS_TEST_PG_URL: process.env['ACCESS_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres' };

interface Row {
  backend: DatabaseKind;
  mode: string;
  appends: number;
  seconds: number;
  'appends/s': number;
  'chain ok': boolean;
}

async function measure(kind: DatabaseKind, mode: 'sequential' | 'concurrent'): Promise<Row> {
  const handle = await createTestDatabase(kind, env);
  try {
    const log = createAuditLog(handle.db);
    const started = performance.now();
    if (mode === 'sequential') {
      for (let i = 0; i < appends; i++) await log.append(issuedEvent(i));
    } else {
      const perWriter = Math.floor(appends / writers);
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = 0; i < perWriter; i++) await log.append(issuedEvent(w * perWriter + i));
        }),
      );
    }
    const seconds = (performance.now() - started) / 1000;
    const verification = await log.verify();
    const done = Number(verification.headSeq);
    return {
      backend: kind,
      mode: mode === 'sequential' ? 'sequential' : `${writers} writers (pool ${kind === 'postgres' ? 5 : 1})`,
      appends: done,
      seconds: Number(seconds.toFixed(2)),
      'appends/s': Math.round(done / seconds),
      'chain ok': verification.ok,
    };
  } finally {
    await handle.close();
  }
}

const rows: Row[] = [];
for (const kind of ['pglite', 'postgres'] as const) {
  for (const mode of ['sequential', 'concurrent'] as const) rows.push(await measure(kind, mode));
}
console.table(rows);
process.exit(rows.every((r) => r['chain ok']) ? 0 : 1);
