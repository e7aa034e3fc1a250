import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, type TestCa } from '../../testing/test-ca.ts';
import { auditHead, callerWith, registeredRoutes, signedInPerson, type Method, type Person } from './route-test-kit.ts';

/** The areas whose every route needs the audit (reads) or admin (changes) capability. */
const GUARDED = /^\/v1\/(roles|grants|hosts|users|revocations|certs)(\/|$)/;

describe.each(testDatabaseKinds())('who may call the admin routes, on %s', (kind) => {
  let ca: TestCa;
  let auditor: Person;
  let nobody: Person;
  let target: Person;
  let grantId: string;
  beforeAll(async () => {
    ca = await createTestCa(kind);
    const admin = callerWith(ca, ca.adminToken);
    await admin('POST', '/v1/roles', { name: 'ops', logins: ['deploy'], hostLabels: { env: ['dev'] }, maxTtl: '1h' });
    await admin('POST', '/v1/hosts', { name: 'web-1', address: '10.0.0.1:22', labels: { env: 'dev' } });
    grantId = (await admin('POST', '/v1/grants', { group: 'ops', role: 'ops', reason: 'team access' })).json().id;
    auditor = await signedInPerson(ca, 'auditor@example.com', ['auditor']);
    nobody = await signedInPerson(ca, 'nobody@example.com');
    target = await signedInPerson(ca, 'target@example.com');
  });
  afterAll(async () => {
    await ca?.close();
  });

  const changes = (): [Method, string, string, unknown][] => [
    ['POST', '/v1/roles', '/v1/roles', { name: 'sneaky', maxTtl: '1h', capabilities: ['admin'] }],
    ['PATCH', '/v1/roles/:name', '/v1/roles/auditor', { capabilities: ['admin', 'audit'] }],
    ['DELETE', '/v1/roles/:name', '/v1/roles/auditor', undefined],
    ['POST', '/v1/grants', '/v1/grants', { user: 'auditor@example.com', role: 'admin', reason: 'promote myself' }],
    ['DELETE', '/v1/grants/:id', `/v1/grants/${grantId}`, undefined],
    ['POST', '/v1/hosts', '/v1/hosts', { name: 'sneaky', address: '10.6.6.6:22' }],
    ['POST', '/v1/hosts/tokens', '/v1/hosts/tokens', { labels: { env: 'dev' } }],
    ['PATCH', '/v1/hosts/:name', '/v1/hosts/web-1', { address: '10.6.6.6:22' }],
    ['DELETE', '/v1/hosts/:name', '/v1/hosts/web-1', undefined],
    ['POST', '/v1/users/:id/lock', `/v1/users/${target.user.id}/lock`, { reason: 'because' }],
    ['POST', '/v1/users/:id/unlock', `/v1/users/${target.user.id}/unlock`, undefined],
    ['POST', '/v1/revocations', '/v1/revocations', { keyId: 'anything' }],
    ['POST', '/v1/certs/user', '/v1/certs/user', { publicKey: 'x', principals: ['deploy'], ttl: '5m' }],
    ['POST', '/v1/certs/host', '/v1/certs/host', { publicKey: 'x', principals: ['web-1'], ttl: '5m' }],
    // Change nothing, but are part of editing a role: admin only.
    ['POST', '/v1/roles/preview', '/v1/roles/preview', { name: 'sneaky', maxTtl: '1h', hostLabels: { '*': ['*'] } }],
    ['GET', '/v1/roles/:name/reach', '/v1/roles/ops/reach', undefined],
  ];
  const reads = (): [string, string][] => [
    ['/v1/roles', '/v1/roles'],
    ['/v1/roles/:name', '/v1/roles/ops'],
    ['/v1/grants', '/v1/grants'],
    ['/v1/hosts', '/v1/hosts'],
    ['/v1/hosts/:name', '/v1/hosts/web-1'],
    ['/v1/users', '/v1/users'],
    ['/v1/users/:id', `/v1/users/${target.user.id}`],
    ['/v1/grants/review', '/v1/grants/review'],
  ];
  const snapshot = async () => {
    const admin = callerWith(ca, ca.adminToken);
    return Promise.all(['/v1/roles', '/v1/grants', '/v1/hosts', '/v1/users'].map(async (url) => (await admin('GET', url)).json()));
  };

  it('covers every guarded route in these tables', () => {
    const guarded = registeredRoutes(ca.app.printRoutes({ commonPrefix: false })).filter((r) => GUARDED.test(r.split(' ')[1]!) && !r.startsWith('HEAD '));
    const listed = [...changes().map(([method, route]) => `${method} ${route}`), ...reads().map(([route]) => `GET ${route}`)];
    expect(listed.sort()).toEqual(guarded.sort());
  });

  it('refuses an auditor every change with 403, changes nothing and audits each refusal', async () => {
    const before = await snapshot();
    const head = await auditHead(ca);
    const call = callerWith(ca, auditor.token);
    for (const [method, , url, body] of changes()) {
      const response = await call(method, url, body);
      expect({ route: `${method} ${url}`, status: response.statusCode, code: response.json().error?.code }).toEqual({ route: `${method} ${url}`, status: 403, code: 'ERR_FORBIDDEN' });
    }
    expect(await snapshot()).toEqual(before);
    const events = await ca.services.audit.list({ limit: 100 });
    const since = events.filter((e) => e.seq > head);
    expect(since.map((e) => e.type)).toEqual(changes().map(() => 'auth.denied'));
    expect(since.every((e) => e.actor.name === 'auditor@example.com')).toBe(true);
  });

  it('lets an auditor read every list and item', async () => {
    const call = callerWith(ca, auditor.token);
    for (const [, url] of reads()) expect({ url, status: (await call('GET', url)).statusCode }).toEqual({ url, status: 200 });
    expect((await call('GET', '/v1/me')).json()).toMatchObject({ roles: ['auditor'], capabilities: ['audit'], principals: [] });
  });

  it('refuses a person without grants every read and change, and tells them who they are', async () => {
    const call = callerWith(ca, nobody.token);
    for (const [, url] of reads()) expect({ url, status: (await call('GET', url)).statusCode }).toEqual({ url, status: 403 });
    for (const [method, , url, body] of changes()) expect({ url, status: (await call(method, url, body)).statusCode }).toEqual({ url, status: 403 });
    const me = await call('GET', '/v1/me');
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({
      user: { id: nobody.user.id, email: 'nobody@example.com', displayName: null, groups: [], login: null },
      roles: [],
      principals: [],
      capabilities: [],
      permissions: { pty: false, portForwarding: false, agentForwarding: false, fileTransfer: false, x11: false },
      maxTtl: null,
      grants: [],
    });
    expect((await call('GET', '/v1/me/hosts')).json()).toEqual([]);
  });
});
