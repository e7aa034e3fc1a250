import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from './migrate.ts';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from './test-databases.ts';

describe.each(testDatabaseKinds())('database on %s', (kind) => {
  let handle: TestDatabase;
  beforeAll(async () => {
    handle = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await handle.close();
  });

  it('reports the backend it opened', () => {
    expect(handle.kind).toBe(kind);
  });

  it('is up to date after migrating, so a second migration applies nothing', async () => {
    expect(await migrateToLatest(handle.db)).toEqual([]);
  });

  it('hands out certificate serials that start at 1, never 0, and never repeat', async () => {
    const serials: bigint[] = [];
    for (let i = 0; i < 5; i++) {
      const row = await sql<{ s: bigint }>`select nextval('cert_serial_seq') as s`.execute(handle.db);
      serials.push(row.rows[0]!.s);
    }
    expect(typeof serials[0]).toBe('bigint');
    expect(serials[0]).toBe(1n);
    expect(new Set(serials).size).toBe(5);
    expect(serials.includes(0n)).toBe(false);
  });

  it('keeps a transaction to itself while another query waits', async () => {
    const order: string[] = [];
    await Promise.all([
      handle.db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        order.push('trx-start');
        await new Promise((r) => setTimeout(r, 50));
        order.push('trx-end');
      }),
      (async () => {
        await new Promise((r) => setTimeout(r, 10));
        await sql`select 1`.execute(handle.db);
        order.push('other');
      })(),
    ]);
    if (kind === 'pglite') expect(order).toEqual(['trx-start', 'trx-end', 'other']);
    else expect(order).toContain('other');
  });

  it('round-trips jsonb and timestamps', async () => {
    await handle.db
      .insertInto('ca_keys')
      .values({ fingerprint: 'SHA256:x', kind: 'user', public_key: 'ssh-ed25519 AAAA', status: 'active' })
      .execute();
    const row = await handle.db.selectFrom('ca_keys').selectAll().executeTakeFirstOrThrow();
    expect(row.created_at).toBeInstanceOf(Date);
    expect(row.kind).toBe('user');
  });
});
