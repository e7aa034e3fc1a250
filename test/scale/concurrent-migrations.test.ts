import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations } from '@access/migrations';
import { accessCli } from '../support/access-server.ts';
import { makeTempDir, removeDir } from '../support/temp-dir.ts';

/**
 * An upgrade rolls out to several instances that start together: each runs the pending
 * migrations at start, and kysely's Migrator serialises them on PostgreSQL with an advisory
 * lock, so every migration is applied exactly once and no instance fails.
 */
describe('several instances migrating one empty database at once', () => {
  const adminUrl = process.env['ACCESS_TEST_PG_URL']!;
  const name = `access_test_${randomBytes(6).toString('hex')}`;
  const dirs: string[] = [];
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
    for (const d of dirs) removeDir(d);
  });

  it('all succeed and each migration is applied once', { timeout: 120_000 }, async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;

    const runs = await Promise.all(
      [1, 2, 3].map(() => {
        const dataDir = makeTempDir('migrate');
        dirs.push(dataDir);
        return accessCli(dataDir, ['--database-url', url.toString(), 'migrate'], { timeoutMs: 90_000 });
      }),
    );
    for (const r of runs) expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    for (const r of runs) expect(r.stdout).toMatch(/is up to date/);

    // Between them, the three applied every migration, and no migration twice.
    const applied = runs.flatMap((r) => /applied migrations: (.+)/.exec(r.stderr)?.[1]?.split(', ') ?? []);
    const all = Object.keys(migrations).sort();
    expect([...applied].sort()).toEqual(all);

    const db = new pg.Client({ connectionString: url.toString() });
    await db.connect();
    try {
      const rows = (await db.query<{ name: string }>('select name from kysely_migration order by name')).rows.map((r) => r.name);
      expect(rows).toEqual(all);
    } finally {
      await db.end();
    }
  });
});
