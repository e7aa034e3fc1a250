import { createTestDatabase, openDatabase, testDatabaseKinds, type TestDatabase } from '@access/db';
import { sql, type KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditEventError } from './audit-errors.ts';
import { createAuditLog, type AuditLog } from './audit-log.ts';
import { issuedEvent, resetAuditTables } from './testing/audit-fixtures.ts';
import { GENESIS_HASH, hashRecord } from './canonical.ts';
import type { AuditEventInput } from './event-types.ts';

describe.each(testDatabaseKinds())('audit log on %s', (kind) => {
  let handle: TestDatabase;
  let log: AuditLog;
  const head = () => handle.db.selectFrom('audit_head').select(['seq', 'hash']).executeTakeFirstOrThrow();
  const count = async () => (await handle.db.selectFrom('audit_events').select((e) => e.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow()).n;

  beforeAll(async () => {
    handle = await createTestDatabase(kind);
    log = createAuditLog(handle.db);
  });
  afterAll(async () => {
    await handle.close();
  });
  beforeEach(async () => {
    await resetAuditTables(handle.db);
  });

  it('appends events that form a chain: seq 1..n, each linked to the previous hash', async () => {
    const records = [];
    for (let i = 1; i <= 5; i++) records.push(await log.append(issuedEvent(i)));
    expect(records.map((r) => r.seq)).toEqual([1n, 2n, 3n, 4n, 5n]);
    expect(records[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < records.length; i++) expect(records[i]!.prevHash).toBe(records[i - 1]!.hash);
    expect(new Set(records.map((r) => r.id)).size).toBe(5);
    expect(records[0]!.code).toBe('CA1000I');

    const result = await log.verify();
    expect(result).toEqual({ ok: true, checked: 5, headSeq: 5n, headHash: records[4]!.hash });
    expect(await head()).toEqual({ seq: 5n, hash: records[4]!.hash });
  });

  it('appends a batch in order under one lock, continuing the chain, and verifies', async () => {
    const first = await log.append(issuedEvent(1));
    const batch = await log.appendMany([issuedEvent(2), issuedEvent(3), issuedEvent(4)]);
    expect(batch.map((r) => r.seq)).toEqual([2n, 3n, 4n]);
    expect(batch[0]!.prevHash).toBe(first.hash);
    expect(batch[2]!.prevHash).toBe(batch[1]!.hash);
    expect(await head()).toEqual({ seq: 4n, hash: batch[2]!.hash });
    expect(await log.appendMany([])).toEqual([]);
    expect((await log.verify()).ok).toBe(true);
  });

  it('returns from append exactly the record that reads back, and its hash still matches', async () => {
    const clock = () => new Date('2024-05-01T12:34:56.789Z');
    const appended = await createAuditLog(handle.db, clock).append({
      type: 'token.created',
      actor: { kind: 'cli', id: 'root' },
      details: { zeta: 1, alpha: { y: [1, 2], x: 'é' }, big: 2n ** 70n, at: new Date(0), gone: undefined },
    });
    expect(appended.details).toEqual({ zeta: 1, alpha: { y: [1, 2], x: 'é' }, big: '1180591620717411303424', at: '1970-01-01T00:00:00.000Z' });
    expect(appended.remote).toBeNull();
    const [stored] = await log.list();
    expect(stored).toEqual(appended);
    expect(stored!.time.getTime()).toBe(clock().getTime());
    expect(hashRecord(stored!)).toBe(stored!.hash);
  });

  it('leaves no event and the head unchanged when the caller’s transaction rolls back', async () => {
    const first = await log.append(issuedEvent(1));
    const rollback = new Error('caller failed after appending');
    await expect(
      handle.db.transaction().execute(async (trx) => {
        await trx.insertInto('ca_keys').values({ fingerprint: 'SHA256:rolled-back', kind: 'user', public_key: 'k', status: 'active' }).execute();
        await log.append(issuedEvent(2), trx);
        throw rollback;
      }),
    ).rejects.toBe(rollback);
    expect(await count()).toBe(1n);
    expect(await head()).toEqual({ seq: 1n, hash: first.hash });
    expect(await handle.db.selectFrom('ca_keys').where('fingerprint', '=', 'SHA256:rolled-back').selectAll().execute()).toEqual([]);
    const next = await log.append(issuedEvent(3));
    expect(next.seq).toBe(2n);
    expect((await log.verify()).ok).toBe(true);
  });

  it('commits an event appended in the caller’s transaction together with the caller’s change', async () => {
    const record = await handle.db.transaction().execute(async (trx) => {
      await trx.insertInto('ca_keys').values({ fingerprint: 'SHA256:committed', kind: 'user', public_key: 'k', status: 'active' }).execute();
      return log.append({ type: 'ca.key.created', actor: { kind: 'system', id: 'ca' }, details: { fingerprint: 'SHA256:committed' } }, trx);
    });
    expect(record.seq).toBe(1n);
    expect(await log.list()).toEqual([record]);
    expect(await handle.db.selectFrom('ca_keys').where('fingerprint', '=', 'SHA256:committed').selectAll().execute()).toHaveLength(1);
    expect(await log.verify()).toMatchObject({ ok: true, checked: 1, headSeq: 1n });
  });

  it('refuses the database itself as executor, since its row lock would not outlive the statement', async () => {
    await expect(log.append(issuedEvent(1), handle.db as never)).rejects.toThrow(TypeError);
    expect(await count()).toBe(0n);
  });

  it('keeps one gapless chain under 50 concurrent appends', async () => {
    const records = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(issuedEvent(i + 1))));
    const seqs = records.map((r) => r.seq).sort((a, b) => (a < b ? -1 : 1));
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i + 1)));
    expect(await log.verify()).toMatchObject({ ok: true, checked: 50, headSeq: 50n });
  });

  it.runIf(kind === 'postgres')('keeps one chain when two separately connected writers append at once', async () => {
    const other = await openDatabase({ url: handle.url, poolSize: 5 });
    try {
      const otherLog = createAuditLog(other.db);
      await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? log : otherLog).append(issuedEvent(i))));
      expect(await log.verify()).toMatchObject({ ok: true, checked: 40, headSeq: 40n });
    } finally {
      await other.close();
    }
  });

  describe('appendWithRows', () => {
    const keyRow = (name: string, kind = 'user') => ({ fingerprint: `SHA256:${name}`, kind, public_key: `ssh-ed25519 ${name}`, status: 'active' });
    const keys = () => handle.db.selectFrom('ca_keys').select(['fingerprint', 'kind', 'created_at']).where('fingerprint', 'like', 'SHA256:row-%').orderBy('fingerprint').execute();
    beforeEach(async () => {
      await handle.db.deleteFrom('ca_keys').where('fingerprint', 'like', 'SHA256:row-%').execute();
    });

    /** The same database with every statement kysely builds counted (BEGIN and COMMIT are not). */
    function counted(): { log: AuditLog; statements: () => number } {
      let statements = 0;
      const plugin: KyselyPlugin = {
        transformQuery: (args) => {
          statements += 1;
          return args.node;
        },
        transformResult: (args) => Promise.resolve(args.result),
      };
      return { log: createAuditLog(handle.db.withPlugin(plugin)), statements: () => statements };
    }

    it('writes the events and the rows in one statement once this log wrote the head, and both read back', async () => {
      const { log: fast, statements } = counted();
      const first = await fast.append(issuedEvent(1));
      const before = statements();
      const records = await fast.appendWithRows([issuedEvent(2), issuedEvent(3)], [{ table: 'ca_keys', rows: [keyRow('row-a'), keyRow('row-b', 'host')] }]);
      expect(statements() - before).toBe(1);
      expect(records.map((r) => r.seq)).toEqual([2n, 3n]);
      expect(records[0]!.prevHash).toBe(first.hash);
      expect(await head()).toEqual({ seq: 3n, hash: records[1]!.hash });
      expect((await log.list()).slice(0, 2).reverse()).toEqual(records);
      const rows = await keys();
      expect(rows.map((r) => [r.fingerprint, r.kind])).toEqual([
        ['SHA256:row-a', 'user'],
        ['SHA256:row-b', 'host'],
      ]);
      expect(rows.every((r) => r.created_at instanceof Date)).toBe(true);
      expect(await log.verify()).toMatchObject({ ok: true, checked: 3, headSeq: 3n });
    });

    it('takes the locking path when another writer moved the head, and the chain stays one line', async () => {
      const { log: mine, statements } = counted();
      await mine.append(issuedEvent(1));
      const other = createAuditLog(handle.db);
      await other.append(issuedEvent(2));
      await other.append(issuedEvent(3));
      const before = statements();
      const [record] = await mine.appendWithRows([issuedEvent(4)], [{ table: 'ca_keys', rows: [keyRow('row-c')] }]);
      expect(statements() - before).toBeGreaterThan(1);
      expect(record!.seq).toBe(4n);
      expect(await keys()).toHaveLength(1);
      // Now it knows the head again: one statement.
      const again = statements();
      expect((await mine.append(issuedEvent(5))).seq).toBe(5n);
      expect(statements() - again).toBe(1);
      expect(await log.verify()).toMatchObject({ ok: true, checked: 5, headSeq: 5n });
    });

    it('writes neither the events nor any row when one row is refused, on either path', async () => {
      for (const warm of [false, true]) {
        await resetAuditTables(handle.db);
        const fresh = createAuditLog(handle.db);
        if (warm) await fresh.append(issuedEvent(1));
        const headBefore = await head();
        const countBefore = await count();
        await expect(fresh.appendWithRows([issuedEvent(2)], [{ table: 'ca_keys', rows: [keyRow('row-d'), keyRow('row-e', 'robot')] }])).rejects.toThrow(/check constraint/);
        expect(await head()).toEqual(headBefore);
        expect(await count()).toBe(countBefore);
        expect(await keys()).toEqual([]);
        const next = await fresh.append(issuedEvent(3));
        expect(next.seq).toBe(headBefore.seq + 1n);
      }
      expect((await log.verify()).ok).toBe(true);
    });

    it('stores NUL and lone surrogates in row text as U+FFFD rather than failing the statement', async () => {
      await log.append(issuedEvent(1));
      await log.appendWithRows([issuedEvent(2)], [{ table: 'ca_keys', rows: [{ ...keyRow('row-f'), public_key: 'k\u0000ey \ud800' }] }]);
      const [row] = await handle.db.selectFrom('ca_keys').select('public_key').where('fingerprint', '=', 'SHA256:row-f').execute();
      expect(row?.public_key).toBe('k\ufffdey \ufffd');
    });

    it('refuses rows that do not all name the same columns, and writes nothing', async () => {
      await log.append(issuedEvent(1));
      const { fingerprint, kind, public_key, status } = keyRow('row-g');
      await expect(
        log.appendWithRows([issuedEvent(2)], [{ table: 'ca_keys', rows: [keyRow('row-h'), { fingerprint, kind, status, public_key }] }]),
      ).rejects.toThrow(/same columns/);
      expect(await count()).toBe(1n);
      expect(await keys()).toEqual([]);
    });
  });

  it('rejects an unknown type, a bad actor or details that cannot be encoded, and appends nothing', async () => {
    const bad: AuditEventInput[] = [
      { ...issuedEvent(1), type: 'cert.exploded' as never },
      { ...issuedEvent(1), actor: { kind: 'robot' as never, id: 'x' } },
      { ...issuedEvent(1), details: { ratio: NaN } },
      { ...issuedEvent(1), details: ['not', 'an', 'object'] as never },
      { ...issuedEvent(1), remote: 42 as never },
    ];
    for (const event of bad) await expect(log.append(event)).rejects.toBeInstanceOf(AuditEventError);
    expect(await count()).toBe(0n);
    expect((await head()).seq).toBe(0n);
  });

  it('records text PostgreSQL cannot store (NUL, lone surrogates) with U+FFFD instead of losing the event', async () => {
    const record = await log.append({
      type: 'auth.denied',
      actor: { kind: 'anonymous', id: 'ev\u0000il' },
      remote: '203.0.113.9\u0000',
      details: { user: 'root\u0000', ['k\u0000']: 'lone \ud800 high, pair \ud83d\ude00 kept' },
    });
    expect(record.actor.id).toBe('ev\ufffdil');
    expect(record.remote).toBe('203.0.113.9\ufffd');
    expect(record.details).toEqual({ user: 'root\ufffd', ['k\ufffd']: 'lone \ufffd high, pair \ud83d\ude00 kept' });
    expect(await log.list()).toEqual([record]);
    expect((await log.verify()).ok).toBe(true);
  });

  it('lists newest first and pages with `before` so every event appears exactly once', async () => {
    for (let i = 1; i <= 23; i++) await log.append(issuedEvent(i));
    const seen: bigint[] = [];
    let before: bigint | undefined;
    for (;;) {
      const page = await log.list({ limit: 5, ...(before !== undefined && { before }) });
      if (page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(5);
      seen.push(...page.map((r) => r.seq));
      before = page.at(-1)!.seq;
    }
    expect(seen).toEqual(Array.from({ length: 23 }, (_, i) => BigInt(23 - i)));
  });

  it('lists only events of the requested type', async () => {
    await log.append(issuedEvent(1));
    await log.append({ type: 'auth.denied', actor: { kind: 'anonymous', id: '' }, remote: '198.51.100.7', details: { reason: 'bad token' } });
    await log.append(issuedEvent(2));
    await log.append({ type: 'auth.denied', actor: { kind: 'anonymous', id: '' }, details: { reason: 'expired' } });
    const denied = await log.list({ type: 'auth.denied' });
    expect(denied.map((r) => [r.seq, r.code, r.details['reason']])).toEqual([
      [4n, 'AU1000W', 'expired'],
      [2n, 'AU1000W', 'bad token'],
    ]);
    expect((await log.list({ type: 'auth.denied', before: 4n })).map((r) => r.seq)).toEqual([2n]);
    expect(await log.list({ type: 'cert.revoked' })).toEqual([]);
  });

  it('lists 100 by default, caps the limit at 1000 and rejects a limit that is not a positive integer', async () => {
    await sql`
      insert into audit_events (seq, id, time, type, code, actor, remote, details, prev_hash, hash)
      select g, 'id-' || g, now(), 'cert.issued', 'CA1000I', '{}', null, '{}', '', ''
      from generate_series(1, 1001) as g
    `.execute(handle.db);
    expect(await log.list()).toHaveLength(100);
    expect(await log.list({ limit: 5000 })).toHaveLength(1000);
    for (const limit of [0, -1, 2.5, NaN]) await expect(log.list({ limit })).rejects.toThrow(RangeError);
  });
});
