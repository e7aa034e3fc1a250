import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordGrantUse } from '../../identity/grant-review.ts';
import { createClockedCa, DAY_MS, statusAndCode, type ClockedCa } from './clocked-test-ca.ts';
import { auditHead, callerWith } from './route-test-kit.ts';

describe.each(testDatabaseKinds())('GET /v1/grants/review on %s', (kind) => {
  let t: ClockedCa;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    t = await createClockedCa(kind);
    const admin = callerWith(t.ca, t.ca.adminToken);
    await admin('POST', '/v1/roles', { name: 'dev', logins: ['dev'], hostLabels: { env: ['dev'] }, maxTtl: '1h' });
    for (const [name, expires] of [['ends-34d', '34d'], ['ends-41d', '41d'], ['lasting', undefined], ['used', undefined], ['revoked', undefined]] as const) {
      ids[name] = (await admin('POST', '/v1/grants', { user: `${name}@example.com`, role: 'dev', reason: 'review', ...(expires ? { expires } : {}) })).json().id;
    }
    await admin('DELETE', `/v1/grants/${ids['revoked']}`);
  });
  afterAll(async () => {
    await t?.ca.close();
  });

  const review = (query = '') => callerWith(t.ca, t.ca.adminToken)('GET', `/v1/grants/review${query}`);
  const names = (grants: { id: string }[]) => grants.map((g) => Object.keys(ids).find((n) => ids[n] === g.id) ?? g.id);

  it('needs the audit capability, as GET /v1/grants does', async () => {
    expect(await statusAndCode(callerWith(t.ca, t.nobody.token)('GET', '/v1/grants/review'))).toEqual([403, 'ERR_FORBIDDEN']);
    expect((await callerWith(t.ca, t.auditor.token)('GET', '/v1/grants/review')).statusCode).toBe(200);
  });

  it('lists active grants ending within 7 days and old grants no login used for 30 days, exactly', async () => {
    const fresh = (await review()).json();
    expect([names(fresh.expiringSoon), names(fresh.unused)]).toEqual([[], []]);

    t.advance(31 * DAY_MS);
    await recordGrantUse(t.ca.services.database.db, [ids['used']!], new Date(t.now().getTime() - DAY_MS));
    const body = (await review()).json();
    expect(names(body.expiringSoon)).toEqual(['ends-34d']);
    // The auditor's grant was made with the others and never used by a login either.
    const auditorGrant = (await t.ca.services.identity.grants.list({ user: 'auditor@example.com' }))[0]!.id;
    expect(names(body.unused).sort()).toEqual(['ends-34d', 'ends-41d', 'lasting', auditorGrant].sort());
    expect(body.expiringSoon[0]).toMatchObject({ id: ids['ends-34d'], active: true, lastUsedAt: null, revokedAt: null });

    const wider = (await review('?expiringWithinDays=10&unusedDays=40')).json();
    expect([names(wider.expiringSoon), names(wider.unused)]).toEqual([['ends-34d', 'ends-41d'], []]);
    const used = (await callerWith(t.ca, t.ca.adminToken)('GET', '/v1/grants?user=used@example.com')).json();
    expect(used[0].lastUsedAt).toBe(new Date(t.now().getTime() - DAY_MS).toISOString());
  });

  it.each([
    ['?unusedDays=abc', 'ERR_BAD_REQUEST'],
    ['?expiringWithinDays=-1', 'ERR_BAD_REQUEST'],
    ['?unusedDays=0', 'ERR_BAD_REVIEW'],
    ['?expiringWithinDays=99999', 'ERR_BAD_REVIEW'],
    ['?unusedDays=1&unusedDays=2', 'ERR_BAD_REQUEST'],
    ['?active=true', 'ERR_BAD_REQUEST'],
  ])('answers 400 to %s', async (query, code) => {
    expect(await statusAndCode(review(query))).toEqual([400, code]);
  });
});

describe.each(testDatabaseKinds())('role reach and preview routes on %s', (kind) => {
  let t: ClockedCa;
  const draft = { name: 'web-dev', logins: ['{{email.local}}', 'deploy'], hostLabels: { env: ['dev'] }, maxTtl: '8h' };
  beforeAll(async () => {
    t = await createClockedCa(kind);
    const admin = callerWith(t.ca, t.ca.adminToken);
    await admin('POST', '/v1/hosts', { name: 'web-1', address: '10.0.0.1:22', labels: { env: 'dev', team: 'web' } });
    await admin('POST', '/v1/hosts', { name: 'db-1', address: '10.0.0.2:22', labels: { env: 'prod' } });
    await admin('POST', '/v1/hosts', { name: 'api-1', address: '10.0.0.3:22', labels: { env: 'dev' } });
  });
  afterAll(async () => {
    await t?.ca.close();
  });

  it('previews a draft without storing or auditing it, and the saved role reaches the same hosts', async () => {
    const admin = callerWith(t.ca, t.ca.adminToken);
    const head = await auditHead(t.ca);
    const preview = await admin('POST', '/v1/roles/preview', draft);
    expect(preview.statusCode).toBe(200);
    expect(preview.json()).toEqual([
      { host: 'api-1', address: '10.0.0.3:22', labels: { env: 'dev' }, logins: ['deploy', '{{email.local}}'] },
      { host: 'web-1', address: '10.0.0.1:22', labels: { env: 'dev', team: 'web' }, logins: ['deploy', '{{email.local}}'] },
    ]);
    expect(await auditHead(t.ca)).toBe(head);
    expect((await admin('GET', '/v1/roles/web-dev')).statusCode).toBe(404);

    expect((await admin('POST', '/v1/roles', draft)).statusCode).toBe(201);
    const reach = await admin('GET', '/v1/roles/web-dev/reach');
    expect([reach.statusCode, reach.json()]).toEqual([200, preview.json()]);
    // A draft of a change to a saved role previews too.
    expect((await admin('POST', '/v1/roles/preview', { ...draft, hostLabels: { env: ['prod'] } })).json().map((h: { host: string }) => h.host)).toEqual(['db-1']);
  });

  it('checks a draft exactly as creating the role does: the same 400 for every bad body', async () => {
    const admin = callerWith(t.ca, t.ca.adminToken);
    const bodies: unknown[] = [
      '[]',
      { ...draft, name: 'x1', extra: true },
      { name: 'x2', logins: ['deploy'] },
      { ...draft, name: 'x3', hostLabels: { env: 'dev' } },
      { ...draft, name: 'x4', logins: ['{{email.domain}}'] },
      { ...draft, name: 'x5', capabilities: ['root'] },
      { ...draft, name: 'Bad Name' },
      { ...draft, name: 'x6', maxTtl: 'forever' },
    ];
    for (const body of bodies) {
      const previewed = await admin('POST', '/v1/roles/preview', body);
      const created = await admin('POST', '/v1/roles', body);
      expect({ body, status: previewed.statusCode, json: previewed.json() }).toEqual({ body, status: 400, json: created.json() });
    }
    expect(await statusAndCode(admin('GET', '/v1/roles/nope/reach'))).toEqual([404, 'ERR_UNKNOWN_ROLE']);
  });

  it('needs the admin capability: an auditor gets 403 for both', async () => {
    const auditor = callerWith(t.ca, t.auditor.token);
    expect(await statusAndCode(auditor('GET', '/v1/roles/auditor/reach'))).toEqual([403, 'ERR_FORBIDDEN']);
    expect(await statusAndCode(auditor('POST', '/v1/roles/preview', draft))).toEqual([403, 'ERR_FORBIDDEN']);
  });
});
