import { createAuditLog } from '@access/audit';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMachineTokens, TOKEN_CACHE_MS, type MachineTokens } from './machine-tokens.ts';

describe.each(testDatabaseKinds())('machine tokens on %s', (kind) => {
  let database: TestDatabase;
  let now = new Date('2030-01-01T00:00:00Z');
  let tokens: MachineTokens;
  const actor = { kind: 'system' as const, id: 'test' };
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const clock = () => now;
    tokens = createMachineTokens({ db: database.db, audit: createAuditLog(database.db, clock), clock });
  });
  afterAll(async () => {
    await database?.close();
  });

  it('stops a token revoked here at once', async () => {
    const { token, info } = await tokens.create({ role: 'admin', description: 'here' }, actor);
    expect((await tokens.authenticate(token))?.id).toBe(info.id);
    await tokens.revoke(info.id, actor);
    expect(await tokens.authenticate(token)).toBeNull();
  });

  it('stops a token revoked by another instance within the cache time, not later', async () => {
    const { token, info } = await tokens.create({ role: 'admin', description: 'elsewhere' }, actor);
    expect((await tokens.authenticate(token))?.id).toBe(info.id);
    // Another CA instance revokes it: only the database changes.
    await database.db.updateTable('machine_tokens').set({ revoked_at: now }).where('id', '=', info.id).execute();
    now = new Date(now.getTime() + TOKEN_CACHE_MS - 1);
    expect((await tokens.authenticate(token))?.id).toBe(info.id);
    now = new Date(now.getTime() + 2);
    expect(await tokens.authenticate(token)).toBeNull();
  });

  it('never trusts a cached token past its own expiry', async () => {
    const { token } = await tokens.create({ role: 'admin', description: 'short', ttlSeconds: 2 }, actor);
    expect(await tokens.authenticate(token)).not.toBeNull();
    now = new Date(now.getTime() + 2_000);
    expect(await tokens.authenticate(token)).toBeNull();
  });
});
