import { LOCKS_CHANNEL, testDatabaseKinds, type LockNotice } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callerWith, signedInPerson } from '../http/routes/route-test-kit.ts';
import { createTestCa, type TestCa } from '../testing/test-ca.ts';

describe.each(testDatabaseKinds())('lock notices for gateways, on %s', (kind) => {
  let ca: TestCa;
  const heard: LockNotice[] = [];
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ca = await createTestCa(kind);
    stop = await ca.services.database.listen(LOCKS_CHANNEL, (payload) => heard.push(JSON.parse(payload) as LockNotice));
  });
  afterAll(async () => {
    await stop?.();
    await ca?.close();
  });

  const next = async (count: number): Promise<LockNotice[]> => {
    for (let i = 0; i < 250 && heard.length < count; i++) await new Promise((r) => setTimeout(r, 20));
    return heard.slice(0, count);
  };

  it('announces a lock and an unlock on access_locks, with who and why', async () => {
    expect(LOCKS_CHANNEL).toBe('access_locks');
    const leaver = await signedInPerson(ca, 'leaver@example.com');
    const call = callerWith(ca, ca.adminToken);
    expect((await call('POST', `/v1/users/${leaver.user.id}/lock`, { reason: 'laptop stolen' })).statusCode).toBe(200);
    expect((await call('POST', `/v1/users/${leaver.user.id}/unlock`)).statusCode).toBe(200);
    expect(await next(2)).toEqual([
      { userId: leaver.user.id, email: 'leaver@example.com', locked: true, reason: 'laptop stolen' },
      { userId: leaver.user.id, email: 'leaver@example.com', locked: false, reason: null },
    ]);
  });

  it('announces nothing when the lock fails', async () => {
    heard.length = 0;
    const call = callerWith(ca, ca.adminToken);
    expect((await call('POST', '/v1/users/usr_0000000000000000/lock', { reason: 'x' })).statusCode).toBe(404);
    const other = await signedInPerson(ca, 'other@example.com');
    expect((await call('POST', `/v1/users/${other.user.id}/lock`, { reason: 'marker' })).statusCode).toBe(200);
    // The marker lock comes after the failed one: once it is heard, a notice of the failure would have been.
    await next(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(heard.map((n) => n.reason)).toEqual(['marker']);
  });
});
