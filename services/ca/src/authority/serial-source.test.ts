import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serialSource } from './serial-source.ts';

describe.each(testDatabaseKinds())('certificate serials on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('never repeats a serial between two sources (two CA instances) and never hands out 0', async () => {
    const a = serialSource(database.db, 4);
    const b = serialSource(database.db, 4);
    const taken: bigint[] = [];
    for (let i = 0; i < 5; i++) taken.push(...(await a(3)), ...(await b(2)));
    taken.push(...(await Promise.all([a(1), a(10), b(7)])).flat());
    expect(taken).toHaveLength(5 * 5 + 18);
    expect(new Set(taken).size).toBe(taken.length);
    expect(taken.every((s) => s > 0n)).toBe(true);
  });
});
