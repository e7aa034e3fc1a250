import { verifyExport } from '@access/audit';
import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedInPerson, type Person } from '../http/routes/route-test-kit.ts';
import { insertChunks, insertGateway, insertSession } from '../testing/session-rows.ts';
import { createTestCa, type TestCa } from '../testing/test-ca.ts';
import { uiBrowser, type UiBrowser } from './ui-test-kit.ts';

describe.each(testDatabaseKinds())('web UI sessions and audit log, on %s', (kind) => {
  let ca: TestCa;
  let auditor: UiBrowser;
  let engineer: UiBrowser;
  let engineerPerson: Person;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    ca = await createTestCa(kind);
    const db = ca.services.database.db;
    await ca.services.identity.roles.create({ name: 'dev', logins: ['deploy'], hostLabels: { env: ['dev'] }, maxTtl: '1h' }, { kind: 'system', id: 'test' });
    auditor = await uiBrowser(ca, (await signedInPerson(ca, 'auditor@example.com', ['auditor'])).user.id);
    engineerPerson = await signedInPerson(ca, 'eng@example.com', ['dev']);
    engineer = await uiBrowser(ca, engineerPerson.user.id);
    const gw = await insertGateway(db);
    ids['mine'] = await insertSession(db, gw, { user_id: engineerPerson.user.id, user_email: 'eng@example.com', login: 'deploy', host: 'web-1', status: 'live', started_at: new Date('2030-01-01T12:00:00Z') });
    ids['other'] = await insertSession(db, gw, { started_at: new Date('2030-01-01T10:00:00Z'), ended_at: new Date('2030-01-01T10:05:00Z'), exit_status: 0, end_reason: 'exit' });
    await insertChunks(db, ids['other'], [['[0.5,"o","<script>window.x=1</script>\\r\\n"]'], ['[1.2,"o","logout\\r\\n"]']]);
    await insertChunks(db, ids['mine'], [['[0.1,"o","hello\\r\\n"]'], ['[0.2,"o","more\\r\\n"]']]);
  });
  afterAll(async () => {
    await ca?.close();
  });

  it('lists every session for an auditor and only their own for an engineer', async () => {
    const all = (await auditor.get('/ui/sessions')).body;
    expect(all).toContain(ids['mine']);
    expect(all).toContain(ids['other']);
    const own = await engineer.get('/ui/sessions');
    expect(own.body).toContain(ids['mine']);
    expect(own.body).not.toContain(ids['other']);
  });

  it('answers 404 when an engineer opens, replays or downloads someone else\u2019s session', async () => {
    for (const suffix of ['', '/cast', '/transcript']) {
      expect((await engineer.get(`/ui/sessions/${ids['other']}${suffix}`)).statusCode, suffix).toBe(404);
    }
    expect((await engineer.get(`/ui/sessions/${ids['mine']}`)).statusCode).toBe(200);
  });

  it('serves the player its recording and then only newer chunks, auditing the first read only', async () => {
    const before = (await ca.services.audit.list({ type: 'session.recording.read', limit: 10 })).length;
    const whole = await auditor.get(`/ui/sessions/${ids['mine']}/cast`);
    expect(whole.headers['x-access-session-status']).toBe('live');
    const lines = whole.body.trim().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ version: 2 });
    expect(lines.slice(1)).toEqual(['[0.1,"o","hello\\r\\n"]', '[0.2,"o","more\\r\\n"]']);
    const seq = Number(whole.headers['x-access-chunk-seq']);
    const first = await auditor.get(`/ui/sessions/${ids['mine']}/cast?after=${seq - 1}`);
    expect(first.body).toBe('[0.2,"o","more\\r\\n"]\n');
    const none = await auditor.get(`/ui/sessions/${ids['mine']}/cast?after=${seq}`);
    expect(none.body).toBe('');
    expect((await ca.services.audit.list({ type: 'session.recording.read', limit: 10 })).length).toBe(before + 1);
    expect((await auditor.get(`/ui/sessions/${ids['mine']}/cast?after=x`)).statusCode).toBe(400);
  });

  it('downloads a text transcript in which a recorded <script> is only text', async () => {
    const response = await auditor.get(`/ui/sessions/${ids['other']}/transcript`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(response.headers['content-disposition']).toBe(`attachment; filename="${ids['other']}.txt"`);
    expect(response.body).toContain('<script>window.x=1</script>');
  });

  it('renders the replay page with the player and escapes nothing of the recording into it', async () => {
    const page = await auditor.get(`/ui/sessions/${ids['other']}`);
    expect(page.body).toContain(`data-cast-url="/ui/sessions/${ids['other']}/cast"`);
    expect(page.body).toContain('<script type="module" src="/ui/assets/player.js"></script>');
    expect(page.body).not.toContain('window.x=1');
  });

  it('pages through the audit log by filter, and refuses it to an engineer', async () => {
    expect((await engineer.get('/ui/audit')).statusCode).toBe(403);
    const reads = await auditor.get('/ui/audit?type=session.recording.read');
    expect(reads.statusCode).toBe(200);
    expect(reads.body).toContain('SE4000I');
    expect(reads.body).not.toContain('RB1000I');
    const bad = await auditor.get('/ui/audit?since=yesterday');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('since must be an ISO 8601 time');
  });

  it('downloads a signed export from the audit page that verifies offline, with the session recordings', async () => {
    const response = await auditor.get('/ui/audit/export?since=2020-01-01T00%3A00&until=2031-01-01T00%3A00&format=csv&sessions=true');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/x-tar');
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="access-audit-/);
    const verified = await verifyExport(response.rawPayload, ca.services.keyring.signer('user').publicKey);
    expect(verified).toMatchObject({ ok: true, sessions: 2 });
    expect((await engineer.get('/ui/audit/export')).statusCode).toBe(403);
    expect((await auditor.get('/ui/audit/export?format=xml')).statusCode).toBe(400);
  });

  it('lets an admin end a live session from its page, on the record with the reason; an auditor may not', async () => {
    const admin = await uiBrowser(ca, (await signedInPerson(ca, 'admin@example.com', ['admin'])).user.id);
    const page = await admin.get(`/ui/sessions/${ids['mine']}`);
    expect(page.body).toContain('End this session now');
    expect((await auditor.get(`/ui/sessions/${ids['mine']}`)).body).not.toContain('End this session now');
    expect((await auditor.post(`/ui/sessions/${ids['mine']}/terminate`, { reason: 'no' })).statusCode).toBe(403);
    const ended = await admin.post(`/ui/sessions/${ids['mine']}/terminate`, { reason: 'suspicious commands' });
    expect(ended.statusCode).toBe(303);
    expect(ended.headers.location).toBe(`/ui/sessions/${ids['mine']}?done=session-terminated`);
    const [event] = await ca.services.audit.list({ type: 'session.terminated', limit: 1 });
    expect(event).toMatchObject({ actor: { kind: 'user', name: 'admin@example.com' }, details: { sessionId: ids['mine'], reason: 'suspicious commands' } });
    const other = await admin.post(`/ui/sessions/${ids['other']}/terminate`);
    expect(other.statusCode).toBe(409);
    expect(other.body).toContain('ERR_SESSION_NOT_LIVE');
  });

  it('serves the player, its stylesheet and the terminal emulator, and nothing else, from /ui/assets', async () => {
    for (const asset of ['player.js', 'player.css', 'ui.css', 'vendor/xterm-headless.mjs']) {
      const response = await ca.app.inject({ method: 'GET', url: `/ui/assets/${asset}` });
      expect(response.statusCode, asset).toBe(200);
    }
    expect((await ca.app.inject({ method: 'GET', url: '/ui/assets/../../package.json' })).statusCode).toBe(404);
    expect((await ca.app.inject({ method: 'GET', url: '/ui/assets/player.test.ts' })).statusCode).toBe(404);
  });
});
