import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { testDatabaseKinds } from '@access/db';
import { parseCertificate } from '@access/sshcert';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../cli/io.ts';
import { main } from '../cli/main.ts';
import { browserLogin } from '../dev-idp/testing/browser-login.ts';
import { sshKeygen } from '../testing/ssh-keys.ts';
import { seedBuiltinRoles } from '../identity/bootstrap.ts';
import { createIdentityFixture } from '../testing/identity-fixture.ts';
import { seedDevData } from './dev-mode.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function startCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const stderr = new PassThrough();
  let log = '';
  stderr.on('data', (c: Buffer) => (log += c.toString()));
  let stop!: (signal: string) => void;
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  const io: CliIo = { stdout: new PassThrough(), stderr, env, stopSignal: () => stopped };
  const exit = main(args, io);
  return { exit, stop, log: () => log };
}

describe('access-server start --dev', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'access-dev-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses to run the demo identity provider behind a non-loopback address', async () => {
    const cli = startCli(['--data-dir', dataDir, 'start', '--dev', '--http-addr', '0.0.0.0:0']);
    expect(await cli.exit).toBe(1);
    expect(cli.log()).toMatch(/must listen on loopback/);
  });

  it('starts the CA with the dev IdP and demo grants, so alice logs in over real HTTP and gets her certificate', async () => {
    const [httpPort, idpPort] = [await freePort(), await freePort()];
    const cli = startCli(['--data-dir', dataDir, 'start', '--dev', '--http-addr', `127.0.0.1:${httpPort}`, '--dev-idp-addr', `127.0.0.1:${idpPort}`, '--ssh-addr', '127.0.0.1:0']);
    try {
      for (let i = 0; i < 200 && !cli.log().includes('next:'); i++) await new Promise((r) => setTimeout(r, 50));
      const log = cli.log();
      const server = `http://127.0.0.1:${httpPort}`;
      expect(log).toContain(`identity provider http://127.0.0.1:${idpPort}`);
      expect(log).toContain('password:         access-dev');
      expect(log).toContain(`access login --server ${server}`);
      expect(log).toContain('created grant engineer to bob@example.com');

      const secret = randomBytes(32).toString('base64url');
      const key = sshKeygen('ed25519');
      const started = await fetch(`${server}/v1/login/start`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ publicKey: key.publicKey, mode: 'browser', callbackPort: 40_000, secretHash: createHash('sha256').update(secret).digest('base64url') }),
      });
      expect(started.status).toBe(201);
      const { loginId, browserUrl } = (await started.json()) as { loginId: string; browserUrl: string };
      const toIdp = await fetch(browserUrl, { redirect: 'manual' });
      const signedIn = await browserLogin({ authorizationUrl: toIdp.headers.get('location')!, redirectUri: `${server}/v1/login/callback`, login: 'alice', password: 'access-dev' });
      const back = await fetch(signedIn.callbackUrl!, { redirect: 'manual' });
      const code = new URL(back.headers.get('location')!).searchParams.get('code');
      const redeemed = await fetch(`${server}/v1/login/${loginId}/redeem`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, secret }) });
      expect(redeemed.status).toBe(200);
      const result = (await redeemed.json()) as { certificate: string; roles: string[]; capabilities: string[] };
      expect(parseCertificate(result.certificate).principals).toEqual(['alice']);
      expect(result.roles).toEqual(['admin', 'engineer']);
      expect(result.capabilities).toEqual(['admin', 'audit']);
    } finally {
      cli.stop('SIGTERM');
      expect(await cli.exit).toBe(0);
    }
  });
});

describe.each(testDatabaseKinds())('dev seed on %s', (kind) => {
  it('creates the engineer role and the demo grants once; a second run changes nothing', async () => {
    const f = await createIdentityFixture(kind);
    try {
      await seedBuiltinRoles({ db: f.db, audit: f.audit, clock: f.clock });
      expect(await seedDevData(f.identity)).toEqual([
        'role engineer',
        'grant admin to alice@example.com',
        'grant engineer to alice@example.com',
        'grant engineer to bob@example.com',
        'grant auditor to carol@example.com',
      ]);
      expect(await seedDevData(f.identity)).toEqual([]);
      const grants = await f.identity.grants.list({ activeOnly: true });
      expect(grants.every((g) => g.reason === 'dev seed' && g.expiresAt === null)).toBe(true);
    } finally {
      await f.close();
    }
  });
});
