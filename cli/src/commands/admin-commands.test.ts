import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeCa, type FakeCa } from '../testing/fake-ca.ts';
import { access, makeHome, testIo } from '../testing/test-io.ts';

// Against the fake of API-CONTRACT.md (testing/fake-ca.ts); the real CA's endpoints are being built alongside.
describe('admin verbs and API errors', () => {
  let ca: FakeCa;
  let home: string;
  const ADMIN = 'acc_machine_admin';
  const AUDITOR = 'acu_auditor';
  const as = (token: string) => testIo(home, { env: { ACCESS_TOKEN: token, ACCESS_SERVER: ca.url } });
  const run = async (token: string, args: string[]) => {
    const io = as(token);
    const code = await access(io, args);
    return { code, out: io.out(), err: io.err() };
  };
  beforeAll(async () => {
    ca = await startFakeCa();
    ca.tokens.set(ADMIN, { capabilities: ['admin', 'audit'], email: null });
    ca.tokens.set(AUDITOR, { capabilities: ['audit'], email: 'carol@example.com' });
  });
  afterAll(() => ca.close());
  beforeEach(() => (home = makeHome()));
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('creates, lists, updates (merging permissions) and removes roles', async () => {
    const created = await run(ADMIN, ['roles', 'create', 'dev', '--logins', 'deploy,{{email.local}}', '--labels', 'env=dev,env=staging', '--max-ttl', '8h', '--pty', '--file-transfer', '--description', 'developers']);
    expect(created).toMatchObject({ code: 0, err: '' });
    expect(created.out).toContain('host labels:  env=dev|staging');
    expect(ca.admin.roles.get('dev')).toMatchObject({ logins: ['deploy', '{{email.local}}'], hostLabels: { env: ['dev', 'staging'] }, maxTtl: 28_800, permissions: { pty: true, fileTransfer: true } });
    const ls = await run(ADMIN, ['roles', 'ls']);
    expect(ls.out).toMatch(/^NAME +LOGINS +HOST LABELS +MAX TTL +PERMISSIONS +CAPABILITIES\ndev +deploy,\{\{email\.local\}\} +env=dev\|staging +8h +pty,fileTransfer +-\n$/);
    expect((await run(ADMIN, ['roles', 'update', 'dev', '--no-pty', '--port-forwarding'])).code).toBe(0);
    expect(ca.admin.roles.get('dev')!.permissions).toEqual({ pty: false, fileTransfer: true, portForwarding: true });
    expect(JSON.parse((await run(AUDITOR, ['roles', 'show', 'dev', '--json'])).out)).toMatchObject({ name: 'dev', description: 'developers' });
    expect((await run(ADMIN, ['roles', 'create', 'x'])).err).toMatch(/needs --max-ttl/);
    expect(await run(ADMIN, ['roles', 'rm', 'dev'])).toMatchObject({ code: 0, out: 'removed role dev\n' });
  });

  it('adds, lists and revokes grants', async () => {
    const added = await run(ADMIN, ['grants', 'add', '--user', 'bob@example.com', '--role', 'dev', '--expires', '30d', '--reason', 'on call', '--json']);
    const grant = JSON.parse(added.out) as { id: string };
    expect(ca.admin.grants.get(grant.id)).toMatchObject({ subject: 'bob@example.com', role: 'dev', reason: 'on call', active: true });
    expect((await run(AUDITOR, ['grants', 'ls', '--role', 'dev'])).out).toMatch(/grt_1 +user:bob@example.com +dev +\S+ +active +on call/);
    expect((await run(ADMIN, ['grants', 'revoke', grant.id])).out).toMatch(/^revoked grt_1 {2}dev to user:bob@example.com .*\(revoked\)\n$/);
    expect((await run(ADMIN, ['grants', 'add', '--role', 'dev', '--reason', 'x'])).err).toMatch(/exactly one of --user EMAIL or --group NAME/);
  });

  it('adds, labels, lists and removes hosts, with nothing on stderr', async () => {
    expect(await run(ADMIN, ['hosts', 'add', 'web-1', '--addr', '127.0.0.1:2222', '--labels', 'env=dev'])).toEqual({ code: 0, out: 'added web-1  127.0.0.1:2222  env=dev\n', err: '' });
    expect((await run(ADMIN, ['hosts', 'label', 'web-1', 'team=web', 'tier=1', '--remove', 'env'])).out).toBe('labelled web-1  127.0.0.1:2222  team=web,tier=1\n');
    expect(JSON.parse((await run(AUDITOR, ['hosts', 'ls', '--json'])).out)).toEqual([{ name: 'web-1', address: '127.0.0.1:2222', labels: { team: 'web', tier: '1' } }]);
    expect((await run(ADMIN, ['hosts', 'rm', 'web-1'])).out).toBe('removed host web-1\n');
  });

  it('ls shows the caller\'s hosts as a table, or JSON', async () => {
    ca.settings.hosts = [{ name: 'web-1', address: '10.0.0.1:22', labels: { env: 'dev' }, logins: ['alice', 'deploy'] }];
    expect((await run(AUDITOR, ['ls'])).out).toBe('NAME   ADDRESS      LABELS   LOGINS\nweb-1  10.0.0.1:22  env=dev  alice,deploy\n');
    expect(JSON.parse((await run(AUDITOR, ['ls', '--json'])).out)).toEqual(ca.settings.hosts);
  });

  it('403: prints the server\'s message and says to ask an admin', async () => {
    const r = await run(AUDITOR, ['hosts', 'add', 'db-1', '--addr', '10.0.0.9:22']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('error: this needs the admin capability, which your roles do not give (ERR_FORBIDDEN, HTTP 403)\nYour roles do not allow this: ask an admin for a grant ("access status" shows your roles).\n');
  });

  it('401: says to log in again, or to check ACCESS_TOKEN when that was used', async () => {
    const viaEnv = await run('acc_wrong', ['roles', 'ls']);
    expect(viaEnv.code).toBe(1);
    expect(viaEnv.err).toMatch(/a valid bearer token is required \(ERR_UNAUTHENTICATED, HTTP 401\)\nThe server does not accept ACCESS_TOKEN/);
    expect(await access(testIo(home), ['login', '--server', ca.url, '--headless', '--no-ssh-config'])).toBe(0);
    ca.tokens.clear();
    ca.tokens.set(ADMIN, { capabilities: ['admin', 'audit'], email: null });
    ca.tokens.set(AUDITOR, { capabilities: ['audit'], email: 'carol@example.com' });
    const io = testIo(home);
    expect(await access(io, ['ls'])).toBe(1);
    expect(io.err()).toMatch(/\(ERR_UNAUTHENTICATED, HTTP 401\)\nRun "access login" to sign in again\.\n$/);
  });

  it('says the server is unreachable at its URL', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const io = testIo(home, { env: { ACCESS_TOKEN: ADMIN } });
    expect(await access(io, ['hosts', 'ls', '--server', `http://127.0.0.1:${port}`])).toBe(1);
    expect(io.err()).toBe(`error: the access server is unreachable at http://127.0.0.1:${port} (ECONNREFUSED); check the URL (--server or ACCESS_SERVER) and your network\n`);
  });

  it('without a login or ACCESS_TOKEN, says to run access login', async () => {
    const io = testIo(home);
    expect(await access(io, ['grants', 'ls'])).toBe(1);
    expect(io.err()).toMatch(/not logged in: run "access login --server URL"/);
  });

  it('prints --help for every command', async () => {
    const commands = [[], ['login'], ['status'], ['ls'], ['config'], ['logout'], ['roles'], ['roles', 'ls'], ['roles', 'show'], ['roles', 'create'], ['roles', 'update'], ['roles', 'rm'],
      ['grants'], ['grants', 'ls'], ['grants', 'add'], ['grants', 'revoke'], ['hosts'], ['hosts', 'ls'], ['hosts', 'add'], ['hosts', 'label'], ['hosts', 'rm']];
    for (const command of commands) {
      const io = testIo(home);
      expect(await access(io, [...command, '--help'])).toBe(0);
      expect(io.out()).toMatch(new RegExp(`^Usage: access ${command.join(' ')}`));
    }
  });
});
