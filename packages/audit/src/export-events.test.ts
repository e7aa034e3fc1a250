import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@access/db';
import { generateCaKey } from '@access/sshcert';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from './audit-log.ts';
import { exportBundle } from './export-bundle.ts';
import { selectExportEvents } from './export-events.ts';
import type { AuditRecord } from './event-types.ts';
import { verifyExport } from './export-verify.ts';
import { issuedEvent } from './testing/audit-fixtures.ts';
import { collect } from './testing/export-fixtures.ts';

const minute = (n: number) => new Date(Date.parse('2030-01-01T00:00:00Z') + n * 60_000);

describe.each(testDatabaseKinds())('the records an export holds, on %s', (kind) => {
  let handle: TestDatabase;
  let now = minute(0);
  beforeAll(async () => {
    handle = await createTestDatabase(kind);
    const log = createAuditLog(handle.db, () => now);
    // Event n at minute n; 13 and 14 from a CA instance whose clock runs two minutes slow.
    for (let n = 1; n <= 20; n++) {
      now = minute(n === 13 || n === 14 ? n - 2 : n);
      await log.append(issuedEvent(n));
    }
  });
  afterAll(() => handle?.close());

  const all = async (events: { pages(): AsyncIterable<readonly AuditRecord[]> }) => {
    const pages: number[][] = [];
    for await (const page of events.pages()) pages.push(page.map((r) => Number(r.seq)));
    return pages;
  };

  it('is the unbroken run from the first event at or after since to the last before until, read a page at a time', async () => {
    const events = await selectExportEvents(handle.db, { since: minute(5), until: minute(9) }, 3);
    expect(events).toMatchObject({ firstSeq: 5n, lastSeq: 8n, count: 4, headSeq: 20n });
    expect(await all(events)).toEqual([[5, 6, 7], [8]]);
    expect(await all(events)).toEqual([[5, 6, 7], [8]]);
  });

  it('keeps records whose clock ran behind inside the run, rather than breaking it', async () => {
    const events = await selectExportEvents(handle.db, { since: minute(12), until: minute(14) }, 100);
    expect(events).toMatchObject({ firstSeq: 12n, lastSeq: 14n });
    expect(await all(events)).toEqual([[12, 13, 14]]);
  });

  it('covers the whole chain without a range, and nothing for a range without events', async () => {
    expect(await selectExportEvents(handle.db, {})).toMatchObject({ firstSeq: 1n, lastSeq: 20n, count: 20 });
    const empty = await selectExportEvents(handle.db, { since: minute(100) });
    expect(empty).toMatchObject({ firstSeq: null, lastSeq: null, count: 0, headSeq: 20n });
    expect(await all(empty)).toEqual([]);
  });

  it('exports records read from the database that verify', async () => {
    const ca = generateCaKey().signer;
    const events = await selectExportEvents(handle.db, { since: minute(3) }, 4);
    const bytes = await collect(exportBundle({ events, filter: { since: minute(3), until: null, format: 'csv', sessions: false }, signer: ca, now: minute(30) }));
    expect(await verifyExport(bytes, ca.publicKey)).toMatchObject({ ok: true, count: 18, firstSeq: 3n, lastSeq: 20n, headSeq: 20n });
  });
});
