import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createAuditLog } from '@access/audit';
import { createTestDatabase, migrateToLatest, openDatabase, type TestDatabase } from '@access/db';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../support/process.ts';
import { makeTempDir, removeDir } from '../support/temp-dir.ts';

/**
 * The backup procedure of docs/production.md ("PostgreSQL", Backups), run for real: a
 * logical `pg_dump --format=custom`, restored with `pg_restore` into an empty database,
 * gives back the same hash chain (verified, same head) and needs no migration.
 */
const adminUrl = process.env['ACCESS_TEST_PG_URL'];

describe.skipIf(!adminUrl)('backup and restore with pg_dump and pg_restore', () => {
  let source: TestDatabase;
  let dir: string;
  const restoredName = `access_restore_${randomBytes(6).toString('hex')}`;
  const restoredUrl = () => Object.assign(new URL(adminUrl!), { pathname: `/${restoredName}` }).toString();
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    source = await createTestDatabase('postgres');
    dir = makeTempDir('backup');
    const audit = createAuditLog(source.db);
    for (let i = 0; i < 250; i++) {
      await audit.append({ type: 'cert.issued', actor: { kind: 'user', id: `usr_${i % 7}` }, remote: '192.0.2.1', details: { serial: String(i + 1), note: `event ${i} ✓ "quoted"` } });
    }
    await source.db.insertInto('hosts').values({ name: 'web-1', address: '10.0.0.1:22', labels: JSON.stringify({ env: 'dev' }) as never, updated_at: new Date() }).execute();
  });

  afterAll(async () => {
    await source?.close();
    await admin(`drop database if exists ${restoredName} with (force)`).catch(() => undefined);
    if (dir) removeDir(dir);
  });

  it('restores a dump into an empty database with the same verified chain and rows', async () => {
    const file = join(dir, 'access.dump');
    const dump = await run('pg_dump', ['--format=custom', '--file', file, '--dbname', source.url!], { timeoutMs: 60_000 });
    expect(dump.stderr).toBe('');
    expect(dump.code).toBe(0);
    await admin(`create database ${restoredName}`);
    const restore = await run('pg_restore', ['--no-owner', '--exit-on-error', '--dbname', restoredUrl(), file], { timeoutMs: 60_000 });
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);

    const restored = await openDatabase({ url: restoredUrl(), poolSize: 2 });
    try {
      expect(await migrateToLatest(restored.db)).toEqual([]);
      const [before, after] = [await createAuditLog(source.db).verify(), await createAuditLog(restored.db).verify()];
      expect(before).toMatchObject({ ok: true, checked: 250 });
      expect(after).toEqual(before);
      const hosts = await restored.db.selectFrom('hosts').select(['name', 'address', 'labels']).execute();
      expect(hosts).toEqual([{ name: 'web-1', address: '10.0.0.1:22', labels: { env: 'dev' } }]);
      // A restored database keeps working: the next event links onto the restored head.
      const next = await createAuditLog(restored.db).append({ type: 'token.created', actor: { kind: 'system', id: 'test' }, details: {} });
      expect(next.seq).toBe(251n);
      expect(next.prevHash).toBe(after.headHash);
    } finally {
      await restored.close();
    }
  });
});
