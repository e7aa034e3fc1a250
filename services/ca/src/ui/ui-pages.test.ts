import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditHead, registeredRoutes, signedInPerson, type Person } from '../http/routes/route-test-kit.ts';
import { createTestCa, type TestCa } from '../testing/test-ca.ts';
import { uiBrowser, type UiBrowser } from './ui-test-kit.ts';

describe.each(testDatabaseKinds())('web UI pages, on %s', (kind) => {
  let ca: TestCa;
  let admin: UiBrowser;
  let auditor: UiBrowser;
  let engineer: UiBrowser;
  let engineerPerson: Person;
  beforeAll(async () => {
    ca = await createTestCa(kind);
    const actor = { kind: 'system' as const, id: 'test' };
    await ca.services.identity.roles.create({ name: 'dev', logins: ['deploy'], hostLabels: { env: ['dev'] }, maxTtl: '1h' }, actor);
    await ca.services.identity.hosts.create({ name: 'web-1', address: '10.0.0.1:22', labels: { env: 'dev' } }, actor);
    admin = await uiBrowser(ca, (await signedInPerson(ca, 'admin@example.com', ['admin'])).user.id);
    auditor = await uiBrowser(ca, (await signedInPerson(ca, 'auditor@example.com', ['auditor'])).user.id);
    engineerPerson = await signedInPerson(ca, 'eng@example.com', ['dev']);
    engineer = await uiBrowser(ca, engineerPerson.user.id);
  });
  afterAll(async () => {
    await ca?.close();
  });

  it('sends a browser without a session to sign in, keeping where it was going', async () => {
    const response = await ca.app.inject({ method: 'GET', url: '/ui/roles' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/ui/signin?return=%2Fui%2Froles');
  });

  it('serves pages with a CSP that allows no inline script or style', async () => {
    const response = await engineer.get('/ui');
    expect(response.statusCode).toBe(200);
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.body).toContain('ssh deploy@web-1');
    expect(response.body).not.toMatch(/<script(?![^>]*\bsrc=)/);
  });

  it('shows each person only the sections their capabilities open', async () => {
    const nav = (body: string) => [...body.matchAll(/<nav aria-label="Main">(.*?)<\/nav>/gs)][0]![1]!.match(/>([^<]+)<\/a>/g);
    expect(nav((await engineer.get('/ui')).body)).toEqual(['>My access</a>', '>Sessions</a>']);
    expect(nav((await auditor.get('/ui')).body)).toHaveLength(7);
    for (const path of ['/ui/hosts', '/ui/roles', '/ui/grants', '/ui/users', '/ui/grants/review']) {
      expect((await engineer.get(path)).statusCode, path).toBe(403);
      expect((await auditor.get(path)).statusCode, path).toBe(200);
    }
  });

  it('lets an admin create a role, grant it and revoke the grant, each an audit event', async () => {
    const created = await admin.post('/ui/roles', { name: 'web', logins: 'www-data, deploy', hostLabels: 'env=dev|prod', maxTtl: '2h', perm_pty: 'on' });
    expect(created.statusCode).toBe(303);
    expect(created.headers.location).toBe('/ui/roles/web?done=role-saved');
    const role = await ca.services.identity.roles.get('web');
    expect(role.logins).toEqual(['deploy', 'www-data']);
    expect(role.hostLabels).toEqual({ env: ['dev', 'prod'] });
    expect(role.permissions.pty).toBe(true);
    expect(role.permissions.portForwarding).toBe(false);
    const page = await admin.get('/ui/roles/web?done=role-saved');
    expect(page.body).toContain('The role is saved.');
    expect(page.body).toContain('10.0.0.1:22');

    expect((await admin.post('/ui/grants', { kind: 'user', subject: 'eng@example.com', role: 'web', expires: '30d', reason: 'on call' })).statusCode).toBe(303);
    const [grant] = await ca.services.identity.grants.list({ user: 'eng@example.com', role: 'web', activeOnly: true });
    expect(grant?.reason).toBe('on call');
    // "Granted by" names the admin by email, not by user id.
    expect(grant?.grantedBy).toMatch(/^user:usr_/);
    expect((await admin.get('/ui/grants')).body).toContain('<td>admin@example.com</td>');
    expect((await admin.post(`/ui/grants/${grant!.id}/revoke`)).statusCode).toBe(303);
    expect(await ca.services.identity.grants.list({ user: 'eng@example.com', role: 'web', activeOnly: true })).toEqual([]);
    const events = await ca.services.audit.list({ limit: 3 });
    expect(events.map((e) => e.type)).toEqual(['grant.revoked', 'grant.created', 'role.created']);
    expect(events[0]!.actor).toMatchObject({ kind: 'user', name: 'admin@example.com' });
  });

  it('previews a role draft without saving it or writing an audit event', async () => {
    const head = await auditHead(ca);
    const preview = await admin.post('/ui/roles/preview', { new: '1', name: 'draft', logins: 'ops', hostLabels: 'env=dev', maxTtl: '1h' });
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toContain('web-1');
    expect(preview.body).toContain('Preview only');
    await expect(ca.services.identity.roles.get('draft')).rejects.toMatchObject({ status: 404 });
    expect(await auditHead(ca)).toBe(head);
  });

  it('refuses a form without the CSRF token, or from another origin, and changes nothing', async () => {
    const noToken = await admin.post('/ui/hosts', { _csrf: '', name: 'evil-1', address: '10.6.6.6:22' });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.body).toContain('ERR_CSRF');
    const crossSite = await admin.post('/ui/hosts', { name: 'evil-2', address: '10.6.6.6:22' }, { origin: 'https://evil.example' });
    expect(crossSite.statusCode).toBe(403);
    const names = (await ca.services.identity.hosts.list()).map((h) => h.name);
    expect(names).not.toContain('evil-1');
    expect(names).not.toContain('evil-2');
    expect((await ca.services.audit.list({ type: 'auth.denied', limit: 1 }))[0]!.details).toMatchObject({ reason: expect.stringContaining('cross-origin'), via: 'web' });
  });

  it('escapes what people and servers put in names and reasons', async () => {
    await admin.post('/ui/grants', { kind: 'group', subject: '<script>alert(1)</script>', role: 'dev', reason: '"><img src=x onerror=alert(2)>' });
    const body = (await admin.get('/ui/grants')).body;
    expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(body).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(body).not.toContain('<img src=x');
  });

  it('locks and unlocks a person from their page; a locked person is signed out of the UI', async () => {
    const locked = await admin.post(`/ui/users/${engineerPerson.user.id}/lock`, { reason: 'laptop lost' });
    expect(locked.statusCode).toBe(303);
    expect((await engineer.get('/ui')).statusCode).toBe(303);
    const page = await admin.get(`/ui/users/${engineerPerson.user.id}`);
    expect(page.body).toContain('laptop lost');
    expect((await admin.post(`/ui/users/${engineerPerson.user.id}/unlock`)).statusCode).toBe(303);
    expect((await ca.services.audit.list({ limit: 2 })).map((e) => e.type)).toEqual(['user.unlocked', 'user.locked']);
    engineer = await uiBrowser(ca, engineerPerson.user.id);
  });

  it('refuses an auditor every state-changing UI route (taken from the route table) and changes nothing', async () => {
    const routes = registeredRoutes(ca.app.printRoutes({ commonPrefix: false })).filter((r) => r.startsWith('POST /ui/') && r !== 'POST /ui/signout');
    expect(routes.length).toBeGreaterThanOrEqual(12);
    const hosts = JSON.stringify(await ca.services.identity.hosts.list());
    const roles = JSON.stringify(await ca.services.identity.roles.list());
    const grants = JSON.stringify(await ca.services.identity.grants.list());
    for (const route of routes) {
      const path = route.slice('POST '.length).replace(':name', 'dev').replace(':id', 'x');
      const response = await auditor.post(path, { name: 'x', address: '10.0.0.9:22', reason: 'r', role: 'admin', subject: 'auditor@example.com', maxTtl: '1h', cap_admin: 'on' });
      expect(response.statusCode, route).toBe(403);
      expect(response.body, route).toContain('ERR_FORBIDDEN');
    }
    expect(JSON.stringify(await ca.services.identity.hosts.list())).toBe(hosts);
    expect(JSON.stringify(await ca.services.identity.roles.list())).toBe(roles);
    expect(JSON.stringify(await ca.services.identity.grants.list())).toBe(grants);
  });

  it('signs out: the cookie is cleared and the old session no longer opens pages', async () => {
    const browser = await uiBrowser(ca, engineerPerson.user.id);
    const out = await browser.post('/ui/signout');
    expect(out.statusCode).toBe(303);
    expect(String(out.headers['set-cookie'])).toMatch(/^access_ui=; Path=\/; HttpOnly; SameSite=Lax; Max-Age=0/);
    expect((await browser.get('/ui')).statusCode).toBe(303);
  });
});
