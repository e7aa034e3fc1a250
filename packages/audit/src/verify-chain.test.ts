import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@access/db';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog, type AuditLog } from './audit-log.ts';
import { issuedEvent, resetAuditTables } from './testing/audit-fixtures.ts';
import { GENESIS_HASH } from './canonical.ts';
import type { AuditRecord } from './event-types.ts';
import { verifyChain } from './verify-chain.ts';

describe.each(testDatabaseKinds())('chain verification on %s', (kind) => {
  let handle: TestDatabase;
  let log: AuditLog;
  let records: AuditRecord[];

  beforeAll(async () => {
    handle = await createTestDatabase(kind);
    log = createAuditLog(handle.db);
  });
  afterAll(async () => {
    await handle.close();
  });
  beforeEach(async () => {
    await resetAuditTables(handle.db);
    records = [];
    for (let i = 1; i <= 6; i++) records.push(await log.append(issuedEvent(i)));
  });

  it('accepts an empty chain whose head is the genesis hash', async () => {
    await resetAuditTables(handle.db);
    expect(await log.verify()).toEqual({ ok: true, checked: 0, headSeq: 0n, headHash: GENESIS_HASH });
  });

  it('walks a chain longer than one page', async () => {
    for (let i = 7; i <= 10; i++) await log.append(issuedEvent(i));
    expect(await verifyChain(handle.db, { pageSize: 3 })).toMatchObject({ ok: true, checked: 10, headSeq: 10n });
  });

  it('names the record whose details were edited (hash-mismatch)', async () => {
    await sql`update audit_events set details = jsonb_set(details, '{note}', '"edited"') where seq = 3`.execute(handle.db);
    const result = await log.verify();
    expect(result).toMatchObject({ ok: false, checked: 2, problem: { seq: 3n, reason: 'hash-mismatch' } });
    expect(result.problem!.message).toContain('record 3');
  });

  it('names the record whose actor or time was edited (hash-mismatch)', async () => {
    await sql`update audit_events set actor = '{"kind":"system","id":"nobody"}' where seq = 2`.execute(handle.db);
    expect((await log.verify()).problem).toMatchObject({ seq: 2n, reason: 'hash-mismatch' });
    await resetAuditTables(handle.db);
    for (let i = 1; i <= 3; i++) await log.append(issuedEvent(i));
    await sql`update audit_events set time = time - interval '1 hour' where seq = 3`.execute(handle.db);
    expect((await log.verify()).problem).toMatchObject({ seq: 3n, reason: 'hash-mismatch' });
  });

  it('names the missing seq when a middle record was deleted (missing-record)', async () => {
    await handle.db.deleteFrom('audit_events').where('seq', '=', 4n).execute();
    expect(await log.verify()).toMatchObject({ ok: false, checked: 3, problem: { seq: 4n, reason: 'missing-record' } });
  });

  it('notices when the first record was deleted (missing-record at 1)', async () => {
    await handle.db.deleteFrom('audit_events').where('seq', '=', 1n).execute();
    expect(await log.verify()).toMatchObject({ ok: false, checked: 0, problem: { seq: 1n, reason: 'missing-record' } });
  });

  it('notices when the last record was deleted, since the head still names it (head-mismatch)', async () => {
    await handle.db.deleteFrom('audit_events').where('seq', '=', 6n).execute();
    expect(await log.verify()).toMatchObject({ ok: false, checked: 5, headSeq: 6n, problem: { seq: 6n, reason: 'head-mismatch' } });
  });

  it('notices a head whose hash is not the last record’s (head-mismatch)', async () => {
    await handle.db.updateTable('audit_head').set({ hash: 'f'.repeat(64) }).execute();
    expect(await log.verify()).toMatchObject({ ok: false, checked: 6, problem: { seq: 6n, reason: 'head-mismatch' } });
  });

  it('still names the edited record when its hash and the next record’s link were rewritten to match', async () => {
    const forged = 'a'.repeat(64);
    await handle.db.updateTable('audit_events').set({ hash: forged }).where('seq', '=', 3n).execute();
    await handle.db.updateTable('audit_events').set({ prev_hash: forged }).where('seq', '=', 4n).execute();
    expect(await log.verify()).toMatchObject({ ok: false, checked: 2, problem: { seq: 3n, reason: 'hash-mismatch' } });
  });

  it('names a record that links to the wrong predecessor (broken-link)', async () => {
    await handle.db.updateTable('audit_events').set({ prev_hash: records[0]!.hash }).where('seq', '=', 5n).execute();
    expect(await log.verify()).toMatchObject({ ok: false, checked: 4, problem: { seq: 5n, reason: 'broken-link' } });
  });

  it('stays ok while events are appended during the walk', async () => {
    const appends = Array.from({ length: 20 }, (_, i) => log.append(issuedEvent(100 + i)));
    const [during] = await Promise.all([verifyChain(handle.db, { pageSize: 2 }), ...appends]);
    expect(during.ok).toBe(true);
    expect(await log.verify()).toMatchObject({ ok: true, checked: 26, headSeq: 26n });
  });
});
