import type { AuditRecord } from '@access/audit';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchAudit, type AuditFilter, type AuditPage } from './audit-search.ts';
import type { TextScanLimits } from './audit-text-scan.ts';
import { CLOCK_SLACK_MS } from './audit-search-where.ts';
import { ALICE, appendSearchEvents, BOB, expected, hoursAfterBase, sessionId } from './testing/search-events.ts';

type Filter = Omit<AuditFilter, 'limit' | 'before' | 'after'>;

const FILTERS: Filter[] = [
  {},
  { types: ['cert.issued', 'session.start'] },
  { actor: ALICE.name },
  { since: hoursAfterBase(7), until: hoursAfterBase(33) },
  { sessionId: sessionId(3) },
  { remote: '192.0.2.0', types: ['cert.issued', 'session.end', 'user.login'] },
  { text: 'ROUTINE' },
  { text: 'example.com', actor: BOB.id, since: hoursAfterBase(4) },
  { text: 'no such text anywhere' },
];

describe.each(testDatabaseKinds())('paging the audit search, on %s', (kind) => {
  let database: TestDatabase;
  let records: AuditRecord[];
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    records = await appendSearchEvents(database.db, 40);
  });
  afterAll(async () => {
    await database?.close();
  });

  /** Every page from the start, following the cursor: the seqs in order, and the pages. */
  async function walk(filter: Filter, limit: number, oldestFirst: boolean, textScan?: TextScanLimits) {
    const pages: AuditPage[] = [];
    let cursor: bigint | null | undefined = oldestFirst ? 0n : undefined;
    do {
      const where = oldestFirst ? { after: cursor! } : { before: cursor ?? undefined };
      const page = await searchAudit(database.db, { ...filter, ...where, limit }, { textScan });
      pages.push(page);
      cursor = oldestFirst ? page.nextAfter : page.nextBefore;
      expect(oldestFirst ? page.nextBefore : page.nextAfter).toBeNull();
      expect(pages.length).toBeLessThan(100);
    } while (cursor !== null);
    return { seqs: pages.flatMap((p) => p.events.map((e) => e.seq)), pages };
  }

  it.each(FILTERS.map((f) => [JSON.stringify(f), f] as const))('visits every event of %s exactly once, in order, both ways', async (_, filter) => {
    const want = expected(records, { ...filter, limit: 1 });
    for (const limit of [1, 3, 7, 100]) {
      expect((await walk(filter, limit, false)).seqs).toEqual(want);
      expect((await walk(filter, limit, true)).seqs).toEqual([...want].reverse());
    }
    // A text search bounded to a few events a page still gets there, page by page.
    for (const textScan of [{ rows: 2, span: 1000 }, { rows: 1000, span: 7 }, { rows: 3, span: 5 }]) {
      expect((await walk(filter, 2, false, textScan)).seqs).toEqual(want);
      expect((await walk(filter, 2, true, textScan)).seqs).toEqual([...want].reverse());
    }
  });

  it('bounds a text search by events read: a page says so, and the cursor goes on from there', async () => {
    // 'routine' is in every fifth event (seq 1, 6, …, 36): 8 matches in 40 events.
    const { seqs, pages } = await walk({ text: 'routine' }, 100, false, { rows: 7, span: 1000 });
    expect(seqs).toEqual([36n, 31n, 26n, 21n, 16n, 11n, 6n, 1n]);
    expect(pages.map((p) => [p.events.length, p.scanned, p.partial, p.nextBefore])).toEqual([
      [1, 7, true, 34n],
      [1, 7, true, 27n],
      [2, 7, true, 20n],
      [1, 7, true, 13n],
      [2, 7, true, 6n],
      [1, 5, false, null],
    ]);
    // A page that fills before the bound stops there, and says how far it read.
    expect(await searchAudit(database.db, { text: 'routine', limit: 2 }, { textScan: { rows: 30, span: 1000 } })).toMatchObject({ scanned: 10, partial: false, nextBefore: 31n });
    const up = await walk({ text: 'routine' }, 3, true, { rows: 4, span: 1000 });
    expect(up.seqs).toEqual([1n, 6n, 11n, 16n, 21n, 26n, 31n, 36n]);
    expect(up.pages.every((p) => (p.scanned ?? 0) <= 4)).toBe(true);
  });

  it('bounds a text search by seq span: a page reads only so far back, whatever the other filters', async () => {
    const span = { rows: 1000, span: 10 };
    const down = await walk({ text: 'routine' }, 100, false, span);
    expect(down.pages.map((p) => [p.events.map((e) => Number(e.seq)), p.scanned, p.partial, p.nextBefore])).toEqual([
      [[36, 31], 10, true, 31n],
      [[26, 21], 10, true, 21n],
      [[16, 11], 10, true, 11n],
      [[6, 1], 10, false, null],
    ]);
    const up = await walk({ text: 'routine' }, 100, true, span);
    expect(up.pages.map((p) => [p.events.map((e) => Number(e.seq)), p.partial, p.nextAfter])).toEqual([
      [[1, 6], true, 10n],
      [[11, 16], true, 20n],
      [[21, 26], true, 30n],
      [[31, 36], false, null],
    ]);
    // The time range bounds the search too: its last page ends with the range, not the log.
    const recent = await walk({ text: 'routine', since: hoursAfterBase(25) }, 100, false, span);
    expect(recent.pages.map((p) => [p.events.map((e) => Number(e.seq)), p.scanned, p.partial, p.nextBefore])).toEqual([
      [[36, 31], 10, true, 31n],
      [[26], 5, false, null],
    ]);
  });

  it('reads no event at all when the other filters match none', async () => {
    expect(await searchAudit(database.db, { text: 'routine', sessionId: sessionId(99), limit: 5 })).toEqual({
      events: [], nextBefore: null, nextAfter: null, scanned: 0, partial: false,
    });
  });
});

describe.each(testDatabaseKinds())('time ranges with clocks a little apart, on %s', (kind) => {
  let database: TestDatabase;
  let records: AuditRecord[];
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    // Two appenders whose clocks differ by 4 minutes take turns: times go back and forth.
    const skew = (CLOCK_SLACK_MS * 0.4) / 3_600_000;
    records = await appendSearchEvents(database.db, 30, (i) => i / 20 + (i % 2 === 0 ? skew : 0));
  });
  afterAll(async () => {
    await database?.close();
  });

  it('still finds exactly the events whose time is in the range', async () => {
    for (let from = 0; from < 30; from += 3) {
      const filter = { since: records[from]!.time, until: new Date(records[from]!.time.getTime() + 7 * 60_000), limit: 1000 };
      const found = (await searchAudit(database.db, filter)).events.map((e) => e.seq);
      expect({ from, found }).toEqual({ from, found: expected(records, filter) });
      expect(found.length).toBeGreaterThan(0);
    }
  });
});
