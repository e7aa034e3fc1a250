import { createAuditLog, type AuditRecord } from '@access/audit';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchAudit, type AuditFilter } from './audit-search.ts';
import { ALICE, appendSearchEvents, BOB, CI, expected, hoursAfterBase, sessionId, SYSTEM } from './testing/search-events.ts';

describe.each(testDatabaseKinds())('audit search, on %s', (kind) => {
  let database: TestDatabase;
  let records: AuditRecord[];
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    records = await appendSearchEvents(database.db, 40);
  });
  afterAll(async () => {
    await database?.close();
  });

  const search = (filter: Partial<AuditFilter> = {}) => searchAudit(database.db, { limit: 1000, ...filter });
  const seqs = async (filter: Partial<AuditFilter> = {}) => (await search(filter)).events.map((e) => e.seq);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => BigInt(to - i));

  it('returns every event newest first, each as it was appended (hashes included)', async () => {
    const page = await search();
    expect(page).toMatchObject({ nextBefore: null, nextAfter: null, scanned: null, partial: false });
    expect(page.events).toEqual([...records].reverse());
  });

  it('filters by one type, several types and a code', async () => {
    expect(await seqs({ types: ['cert.issued'] })).toEqual(expected(records, { limit: 1000, types: ['cert.issued'] }));
    expect(await seqs({ types: ['cert.issued'] })).toEqual([37n, 30n, 23n, 16n, 9n, 2n]);
    expect(await seqs({ types: ['auth.denied', 'cert.denied'] })).toEqual([39n, 35n, 32n, 28n, 25n, 21n, 18n, 14n, 11n, 7n, 4n]);
    expect(await seqs({ code: 'CA1001W' })).toEqual([35n, 28n, 21n, 14n, 7n]);
    expect(await seqs({ code: 'CA1001W', types: ['cert.issued'] })).toEqual([]);
  });

  it('filters by actor id or actor name, exactly', async () => {
    const alice = expected(records, { limit: 1000, actor: 'usr_alice' });
    expect(alice).toHaveLength(16);
    expect(await seqs({ actor: 'usr_alice' })).toEqual(alice);
    expect(await seqs({ actor: 'alice@example.com' })).toEqual(alice);
    expect(await seqs({ actor: 'CI deploy' })).toEqual(await seqs({ actor: CI.id }));
    expect(await seqs({ actor: SYSTEM.id })).toEqual([40n, 35n, 30n, 25n, 20n, 15n, 10n, 5n]);
    expect(await seqs({ actor: 'ALICE@example.com' })).toEqual([]);
    expect(await seqs({ actor: 'alice' })).toEqual([]);
  });

  it('filters by remote address and by session', async () => {
    expect(await seqs({ remote: '192.0.2.1' })).toEqual(expected(records, { limit: 1000, remote: '192.0.2.1' }));
    expect(await seqs({ remote: '192.0.2' })).toEqual([]);
    // Session 1 is events 5..9 (seq 6..10): the session and transfer events among them.
    expect(await seqs({ sessionId: sessionId(1) })).toEqual([10n, 8n, 6n]);
    expect(await seqs({ sessionId: sessionId(99) })).toEqual([]);
  });

  it('filters by time: since inclusive, until exclusive, and both', async () => {
    // Event i is at hour i, seq i + 1.
    expect(await seqs({ since: hoursAfterBase(35) })).toEqual(range(36, 40));
    expect(await seqs({ until: hoursAfterBase(3) })).toEqual(range(1, 3));
    expect(await seqs({ since: hoursAfterBase(10), until: hoursAfterBase(12) })).toEqual([12n, 11n]);
    expect(await seqs({ since: hoursAfterBase(10.5), until: hoursAfterBase(11.5) })).toEqual([12n]);
    expect(await seqs({ since: hoursAfterBase(100) })).toEqual([]);
    expect(await seqs({ until: hoursAfterBase(-1) })).toEqual([]);
    expect(await seqs({ since: hoursAfterBase(12), until: hoursAfterBase(12) })).toEqual([]);
  });

  it('combines filters', async () => {
    const filters: Array<Partial<AuditFilter>> = [
      { types: ['session.start', 'session.end'], actor: 'alice@example.com' },
      { actor: BOB.id, since: hoursAfterBase(5), until: hoursAfterBase(30) },
      { types: ['cert.issued'], remote: '192.0.2.2', until: hoursAfterBase(30) },
      { sessionId: sessionId(2), types: ['session.end'] },
      { text: 'prod', actor: ALICE.id, since: hoursAfterBase(3) },
    ];
    for (const filter of filters) {
      const want = expected(records, { limit: 1000, ...filter });
      expect({ filter, got: await seqs(filter) }).toEqual({ filter, got: want });
    }
    expect(await seqs({ types: ['session.start', 'session.end'], actor: 'alice@example.com' })).toEqual([36n, 31n, 29n, 24n, 1n]);
  });

  it('finds text in details and actor, in any case, with quotes, backslashes and % taken literally', async () => {
    expect(await seqs({ text: 'deploy to prod' })).toEqual(expected(records, { limit: 1000, text: 'Deploy to PROD' }));
    expect((await seqs({ text: 'DEPLOY TO PROD' })).length).toBe(8);
    expect(await seqs({ text: 'ci DEPLOY' })).toEqual(await seqs({ actor: CI.id }));
    expect(await seqs({ text: 'say "hi"' })).toEqual(expected(records, { limit: 1000, text: 'say "hi"' }));
    expect((await seqs({ text: 'C:\\ops' })).length).toBe(8);
    expect((await seqs({ text: '100%_done' })).length).toBe(8);
    expect(await seqs({ text: '100%x' })).toEqual([]);
    expect(await seqs({ text: '%_DONE' })).toEqual(await seqs({ text: '100%_done' }));
    expect((await seqs({ text: 'ünïcode Straße' })).length).toBe(8);
    expect(await search({ text: 'deploy to prod' })).toMatchObject({ scanned: 40, partial: false, nextBefore: null });
  });

  it('pages with before (newest first) and after (oldest first)', async () => {
    expect(await search({ limit: 3 })).toMatchObject({ nextBefore: 38n, nextAfter: null });
    expect(await seqs({ limit: 3, before: 38n })).toEqual([37n, 36n, 35n]);
    expect(await search({ limit: 3, after: 0n })).toMatchObject({ nextBefore: null, nextAfter: 3n });
    expect(await seqs({ limit: 3, after: 3n })).toEqual([4n, 5n, 6n]);
    expect(await search({ limit: 3, after: 37n })).toMatchObject({ nextAfter: null });
    expect(await search({ limit: 3, before: 4n })).toMatchObject({ nextBefore: null });
    expect(await seqs({ before: 1n })).toEqual([]);
    expect(await seqs({ after: 40n })).toEqual([]);
    expect(await seqs({ before: 10_000n, limit: 1 })).toEqual([40n]);
  });

  it('refuses a bad limit, both cursors at once and an overlong text', async () => {
    for (const limit of [0, 1001, 1.5, NaN]) await expect(search({ limit })).rejects.toMatchObject({ status: 400, message: /limit must be a whole number/ });
    await expect(search({ before: 5n, after: 1n })).rejects.toMatchObject({ status: 400, message: /not both/ });
    await expect(search({ text: 'x'.repeat(201) })).rejects.toMatchObject({ status: 400, message: /text must be 1 to 200/ });
    await expect(search({ text: '' })).rejects.toMatchObject({ status: 400 });
  });

  it('matches both ways an actor string that is one actor id and another actor name (runs last: it appends)', async () => {
    const odd = await createAuditLog(database.db).append({ type: 'token.created', actor: { kind: 'token', id: 'alice@example.com', name: 'odd' }, details: {} });
    const alice = expected(records, { limit: 1000, actor: 'usr_alice' });
    expect(await seqs({ actor: 'alice@example.com' })).toEqual([odd.seq, ...alice]);
    expect(await seqs({ actor: 'alice@example.com', types: ['token.created'] })).toEqual([odd.seq]);
    expect(await seqs({ actor: 'usr_alice' })).toEqual(alice);
  });
});
