import { createTestDatabase, type TestDatabase } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLiveConnections } from './live-connections.ts';
import { catchUpOnNotices } from './notice-catch-up.ts';

describe('catching up on notices missed while the notification connection was down', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    const user = (id: string, lockedAt: Date | null) => ({ id, issuer: 'https://idp', subject: id, email: `${id.slice(-1)}@example.com`, email_verified: true, groups: '[]', locked_at: lockedAt, lock_reason: lockedAt ? 'left the team' : null });
    await database.db.insertInto('users').values([user('usr_000000000000000a', new Date()), user('usr_000000000000000b', null), user('usr_000000000000000c', null)]).execute();
    await database.db
      .insertInto('revocations')
      .values({ kind: 'serial', ca_fingerprint: null, serial_from: 77n, serial_to: null, key_id: null, public_key: null, reason: 'laptop stolen', created_by: 'cli:test' })
      .execute();
  });
  afterAll(async () => {
    await database?.close();
  });

  it('ends the connections of people locked and of certificates revoked meanwhile, and no other', async () => {
    const live = createLiveConnections();
    const ended: string[] = [];
    const credential = (serial: bigint) => ({ serial, keyId: 'k', caFingerprint: 'SHA256:ca', keyFingerprint: 'SHA256:key' });
    live.add('usr_000000000000000a', (reason) => ended.push(`locked: ${reason}`), credential(1n));
    live.add('usr_000000000000000b', (reason) => ended.push(`fine: ${reason}`), credential(2n));
    live.add('usr_000000000000000c', (reason) => ended.push(`revoked: ${reason}`), credential(77n));
    const logged: string[] = [];
    await catchUpOnNotices(database.db, live, (l) => logged.push(l));
    expect(ended).toEqual([
      'locked: your account was locked by an admin: left the team',
      'revoked: your certificate was revoked: laptop stolen; run "access login" for a new one',
    ]);
    expect(logged).toHaveLength(2);
  });
});
