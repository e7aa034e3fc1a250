import { testDatabaseKinds } from '@access/db';
import { fingerprint, parsePublicKey } from '@access/sshcert';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCertificate, RequestContext } from '../../authority/authority.ts';
import { sshKeygen } from '../../testing/ssh-keys.ts';
import { insertGateway, insertSession } from '../../testing/session-rows.ts';
import { createClockedCa, statusAndCode, type ClockedCa } from './clocked-test-ca.ts';
import { callerWith, signedInPerson, type Person } from './route-test-kit.ts';

describe.each(testDatabaseKinds())('GET /v1/users/:id on %s', (kind) => {
  let t: ClockedCa;
  let alice: Person;
  const grantIds: Record<string, string> = {};
  const active: IssuedCertificate[] = [];
  let sessions: string[] = [];
  const keys = [sshKeygen('ed25519'), sshKeygen('ed25519'), sshKeygen('ed25519')];

  beforeAll(async () => {
    t = await createClockedCa(kind);
    const { services } = t.ca;
    const admin = callerWith(t.ca, t.ca.adminToken);
    await admin('POST', '/v1/roles', { name: 'dev', logins: ['{{email.local}}'], hostLabels: { env: ['dev'] }, maxTtl: '8h' });
    alice = await signedInPerson(t.ca, 'Alice@example.com', [], ['ops']);
    const grant = async (name: string, body: Record<string, unknown>) => {
      grantIds[name] = (await admin('POST', '/v1/grants', { role: 'dev', reason: 'detail test', ...body })).json().id;
    };
    await grant('direct', { user: 'alice@example.com' });
    await grant('ops', { group: 'ops' });
    await grant('revoked', { user: 'alice@example.com' });
    await grant('expiring', { user: 'alice@example.com', expires: '1h' });
    await grant('other-group', { group: 'web' });
    await grant('someone-else', { user: 'bob@example.com' });
    await admin('DELETE', `/v1/grants/${grantIds['revoked']}`);

    const asAlice: RequestContext = { actor: { kind: 'user', id: alice.user.id, name: 'Alice@example.com' }, remote: null };
    const sign = (key: number, ttl: string, keyId = 'Alice@example.com', context = asAlice) =>
      services.authority.sign({ type: 'user', publicKey: keys[key]!.publicKey, principals: ['alice'], ttl, keyId }, context);
    await sign(0, '1m');
    const bySerial = await sign(0, '8h');
    const byRange = await sign(0, '8h');
    await sign(1, '8h');
    await sign(0, '8h', 'alice-old');
    active.push(await sign(0, '8h'), await sign(2, '4h', 'Alice@example.com'));
    await sign(0, '8h', 'Alice@example.com', { actor: { kind: 'token', id: 'tok_other', name: 'automation' }, remote: null });
    const revoker = { actor: { kind: 'system' as const, id: 'test' }, remote: null };
    await services.revocations.revoke({ serial: bySerial.serial }, 'lost laptop', revoker);
    await services.revocations.revoke({ serialRange: [byRange.serial, byRange.serial] }, 'range', revoker);
    await services.revocations.revoke({ publicKey: keys[1]!.publicKey }, 'stolen key', revoker);
    await services.revocations.revoke({ keyId: 'alice-old' }, 'old key id', revoker);

    const gateway = await insertGateway(services.database.db);
    for (let i = 0; i < 22; i++) {
      const startedAt = new Date(Date.UTC(2030, 0, 1, 10, i));
      sessions.push(await insertSession(services.database.db, gateway, { user_id: alice.user.id, user_email: 'alice@example.com', started_at: startedAt }));
    }
    await insertSession(services.database.db, gateway, { user_id: 'usr_0000000000000001', user_email: 'bob@example.com', started_at: new Date(Date.UTC(2030, 0, 2)) });
    sessions = sessions.reverse().slice(0, 20);

    t.advance(2 * 3600_000); // the 1-minute certificate and the 1-hour grant expire
    await admin('POST', `/v1/users/${alice.user.id}/lock`, { reason: 'laptop stolen' });
  });
  afterAll(async () => {
    await t?.ca.close();
  });

  it('shows identity, lock, active grants, exactly the active certificates and the 20 latest sessions', async () => {
    const res = await callerWith(t.ca, t.ca.adminToken)('GET', `/v1/users/${alice.user.id}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.user).toMatchObject({
      id: alice.user.id,
      email: 'Alice@example.com',
      emailVerified: true,
      groups: ['ops'],
      issuer: 'https://idp.test',
      subject: 'Alice@example.com',
      lockReason: 'laptop stolen',
      lockedAt: t.now().toISOString(),
    });
    expect(body.grants.direct.map((g: { id: string }) => g.id)).toEqual([grantIds['direct']]);
    expect(body.grants.viaGroups.map((g: { id: string }) => g.id)).toEqual([grantIds['ops']]);
    const expected = [...active].reverse().map((c, i) => ({
      serial: c.serial.toString(),
      keyId: c.keyId,
      principals: ['alice'],
      // The signing API's default for a user certificate without extensions.
      extensions: ['permit-pty'],
      validAfter: c.validAfter.toISOString(),
      validBefore: c.validBefore.toISOString(),
      keyFingerprint: fingerprint(parsePublicKey(keys[i === 0 ? 2 : 0]!.publicKey).blob),
      keyType: 'ssh-ed25519',
    }));
    expect(body.certificates).toEqual(expected);
    expect(body.sessions.map((s: { id: string }) => s.id)).toEqual(sessions);
    expect(body.sessions[0]).toMatchObject({ user: { id: alice.user.id }, host: 'web-1', login: 'alice', status: 'ended' });
  });

  it('finds the person by email in any case too', async () => {
    const call = callerWith(t.ca, t.ca.adminToken);
    const byEmail = await call('GET', '/v1/users/alice@EXAMPLE.com');
    expect(byEmail.json()).toEqual((await call('GET', `/v1/users/${alice.user.id}`)).json());
  });

  it('answers 400 for something that is neither an id nor an email, 404 for nobody, 403 without audit', async () => {
    const admin = callerWith(t.ca, t.ca.adminToken);
    expect(await statusAndCode(admin('GET', '/v1/users/alice'))).toEqual([400, 'ERR_BAD_USER']);
    expect(await statusAndCode(admin('GET', '/v1/users/usr_0000000000000000'))).toEqual([404, 'ERR_UNKNOWN_USER']);
    expect(await statusAndCode(admin('GET', '/v1/users/ghost@example.com'))).toEqual([404, 'ERR_UNKNOWN_USER']);
    expect(await statusAndCode(callerWith(t.ca, t.nobody.token)('GET', `/v1/users/${alice.user.id}`))).toEqual([403, 'ERR_FORBIDDEN']);
    expect((await callerWith(t.ca, t.auditor.token)('GET', `/v1/users/${alice.user.id}`)).statusCode).toBe(200);
  });
});
