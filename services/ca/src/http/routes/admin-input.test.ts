import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, type TestCa } from '../../testing/test-ca.ts';
import { auditHead, callerWith, signedInPerson, type Method } from './route-test-kit.ts';

describe.each(testDatabaseKinds())('admin request bodies and queries are checked at the boundary, on %s', (kind) => {
  let ca: TestCa;
  let userId: string;
  const role = { name: 'dev', logins: ['deploy'], hostLabels: { env: ['dev'] }, maxTtl: '8h' };
  const host = { name: 'web-1', address: '10.0.0.1:22', labels: { env: 'dev' } };
  beforeAll(async () => {
    ca = await createTestCa(kind);
    const admin = callerWith(ca, ca.adminToken);
    await admin('POST', '/v1/roles', role);
    await admin('POST', '/v1/hosts', host);
    userId = (await signedInPerson(ca, 'someone@example.com')).user.id;
  });
  afterAll(async () => {
    await ca?.close();
  });

  const bad = (): [string, Method, string, unknown, RegExp][] => [
    ['a body that is not JSON', 'POST', '/v1/roles', '{"name": ', /JSON/i],
    ['a body that is a list', 'POST', '/v1/roles', [role], /JSON object/],
    ['an unknown role field', 'POST', '/v1/roles', { ...role, name: 'new', sudo: true }, /unknown field\(s\): sudo/],
    ['logins that are not a list', 'POST', '/v1/roles', { ...role, name: 'new', logins: 'deploy' }, /logins must be a list/],
    ['a role without maxTtl', 'POST', '/v1/roles', { name: 'new' }, /maxTtl is required/],
    ['a maxTtl of the wrong type', 'POST', '/v1/roles', { name: 'new', maxTtl: true }, /maxTtl must be a duration/],
    ['a bad role name', 'POST', '/v1/roles', { ...role, name: 'New Role' }, /role name/],
    ['a bad label in a role', 'POST', '/v1/roles', { ...role, name: 'new', hostLabels: { 'Env!': ['dev'] } }, /label key/],
    ['an unknown permission', 'POST', '/v1/roles', { ...role, name: 'new', permissions: { sudo: true } }, /unknown permission/],
    ['an unknown capability', 'POST', '/v1/roles', { ...role, name: 'new', capabilities: ['root'] }, /unknown capability/],
    ['renaming a role', 'PATCH', '/v1/roles/dev', { name: 'prod' }, /cannot be renamed/],
    ['an empty change', 'PATCH', '/v1/roles/dev', {}, /nothing to change/],
    ['a bad label in a change', 'PATCH', '/v1/roles/dev', { hostLabels: { env: [] } }, /non-empty list/],
    ['a grant without reason', 'POST', '/v1/grants', { user: 'a@example.com', role: 'dev' }, /reason/],
    ['a grant with an empty reason', 'POST', '/v1/grants', { user: 'a@example.com', role: 'dev', reason: '  ' }, /reason/],
    ['an unknown grant field', 'POST', '/v1/grants', { user: 'a@example.com', role: 'dev', reason: 'x', until: 'never' }, /unknown field/],
    ['a grant to a user and a group', 'POST', '/v1/grants', { user: 'a@example.com', group: 'ops', role: 'dev', reason: 'x' }, /exactly one/],
    ['a role of the wrong type', 'POST', '/v1/grants', { user: 'a@example.com', role: 7, reason: 'x' }, /role must be/],
    ['a bad expiry', 'POST', '/v1/grants', { user: 'a@example.com', role: 'dev', reason: 'x', expires: 'soon' }, /not a duration/],
    ['a bad host label value', 'POST', '/v1/hosts', { ...host, name: 'web-2', labels: { env: 'Dev Box' } }, /value of label env/],
    ['host labels as a list', 'POST', '/v1/hosts', { ...host, name: 'web-2', labels: ['env=dev'] }, /labels must be a JSON object/],
    ['an address without a port', 'POST', '/v1/hosts', { ...host, name: 'web-2', address: '10.0.0.2' }, /host:port/],
    ['renaming a host', 'PATCH', '/v1/hosts/web-1', { name: 'web-2' }, /cannot be renamed/],
    ['a lock without reason', 'POST', `/v1/users/${userId}/lock`, {}, /reason/],
    ['an unlock with fields', 'POST', `/v1/users/${userId}/unlock`, { reason: 'x' }, /unknown field/],
    ['an unknown grants query', 'GET', '/v1/grants?subject=x', undefined, /unknown query parameter "subject"/],
    ['active that is not a boolean', 'GET', '/v1/grants?active=yes', undefined, /active must be true or false/],
    ['a repeated role query', 'GET', '/v1/grants?role=a&role=b', undefined, /given once/],
    ['a label query without value', 'GET', '/v1/hosts?label=env', undefined, /KEY=VALUE/],
    ['a label query with a bad key', 'GET', '/v1/hosts?label=Env=dev', undefined, /label key/],
    ['a label given twice', 'GET', '/v1/hosts?label=env=dev&label=env=prod', undefined, /given twice/],
  ];

  it('answers 400 with a clear message to every bad body and query, and changes nothing', async () => {
    const admin = callerWith(ca, ca.adminToken);
    const state = async () => Promise.all(['/v1/roles', '/v1/grants', '/v1/hosts', '/v1/users'].map(async (url) => (await admin('GET', url)).json()));
    const before = await state();
    const head = await auditHead(ca);
    for (const [what, method, url, body, message] of bad()) {
      const response = await admin(method, url, body);
      expect({ what, status: response.statusCode }).toEqual({ what, status: 400 });
      expect({ what, message: response.json().error.message }).toEqual({ what, message: expect.stringMatching(message) });
    }
    expect(await state()).toEqual(before);
    expect(await auditHead(ca)).toBe(head);
  });

  it('filters hosts by several labels at once', async () => {
    const admin = callerWith(ca, ca.adminToken);
    await admin('POST', '/v1/hosts', { name: 'web-2', address: '10.0.0.2:22', labels: { env: 'dev', team: 'web' } });
    const names = async (url: string) => (await admin('GET', url)).json().map((h: { name: string }) => h.name);
    expect(await names('/v1/hosts?label=env=dev')).toEqual(['web-1', 'web-2']);
    expect(await names('/v1/hosts?label=env=dev&label=team=web')).toEqual(['web-2']);
    expect(await names('/v1/hosts?label=team=db')).toEqual([]);
  });
});
