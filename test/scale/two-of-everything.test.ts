import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@access/db';
import { eventually } from '../support/gateway-records.ts';
import { boundedCommand, run, sleep, stopChild } from '../support/process.ts';
import { startCaProcess, startGatewayProcess, type ServerProcess } from '../support/scale-processes.ts';
import { SSH } from '../support/ssh-client.ts';
import { makeTempDir, removeDir } from '../support/temp-dir.ts';
import { openScaleFixture, type ScaleEngineer, type ScaleFixture } from './scale-fixture.ts';

/** A live ssh client: its output so far, and when it exited. */
interface LiveSsh {
  child: ChildProcess;
  output(): string;
  exit: Promise<{ code: number | null; at: number }>;
}

/**
 * "More than one of everything": two CA instances and two gateways, separate processes on
 * one PostgreSQL database. Gateway 1 asks CA A, gateway 2 asks CA B. Sessions go through
 * both; a lock or a revocation made through either CA ends live sessions on the other's
 * gateway within a second; `kill -9` of gateway 1 leaves gateway 2 serving, and gateway 2
 * marks the killed gateway's session interrupted, its recording kept up to the last flush.
 */
describe('two CAs and two gateways on one PostgreSQL', () => {
  let database: TestDatabase;
  let fixture: ScaleFixture;
  let caA: ServerProcess;
  let caB: ServerProcess;
  let gw1: ServerProcess;
  let gw2: ServerProcess;
  let adminToken: string;
  let alice: ScaleEngineer;
  let bob: ScaleEngineer;
  let carol: ScaleEngineer;
  const gatewayIds = new Map<ServerProcess, string>();
  const dir = makeTempDir('scale');
  const clients: ChildProcess[] = [];
  const db = () => fixture.services.database.db;

  const startSsh = (config: string, args: string[]): LiveSsh => {
    const [file, wrapped] = boundedCommand(SSH, ['-F', config, ...args], 120);
    const child = spawn(file, wrapped, { stdio: ['pipe', 'pipe', 'pipe'] });
    clients.push(child);
    let text = '';
    child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
    // The time is taken at 'exit'; the answer waits for 'close', when all output has been read
    // (on a loaded machine 'exit' can come before the last of stdout).
    const exit = new Promise<{ code: number | null; at: number }>((resolve) => {
      let at = 0;
      child.once('exit', () => (at = Date.now()));
      child.once('close', (code) => resolve({ code, at: at || Date.now() }));
    });
    return { child, output: () => text, exit };
  };
  const liveSessionOn = (gateway: ServerProcess, userId: string) =>
    eventually(
      () => db().selectFrom('sessions').selectAll().where('user_id', '=', userId).where('status', '=', 'live').where('gateway_id', '=', gatewayIds.get(gateway)!).executeTakeFirst(),
      'a live session on the gateway',
      20_000,
    );
  const api = (ca: ServerProcess, path: string, body: unknown) =>
    fetch(`${ca.address}${path}`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    fixture = await openScaleFixture(database.url!);
    await fixture.addTarget('web-1');
    alice = await fixture.addEngineer('alice.scale@example.com', 'gwscalea');
    bob = await fixture.addEngineer('bob.scale@example.com', 'gwscaleb');
    carol = await fixture.addEngineer('carol.scale@example.com', 'gwscalec');
    const tokens = fixture.services.tokens;
    const actor = { kind: 'cli' as const, id: 'scale-test' };
    adminToken = (await tokens.create({ role: 'admin', description: 'scale test' }, actor)).token;
    // The two CAs start together, on the same database and the same key directory.
    [caA, caB] = await Promise.all([startCaProcess({ dataDir: fixture.dataDir, databaseUrl: database.url! }), startCaProcess({ dataDir: fixture.dataDir, databaseUrl: database.url! })]);
    const [t1, t2] = [(await tokens.create({ role: 'gateway', description: 'gateway 1' }, actor)).token, (await tokens.create({ role: 'gateway', description: 'gateway 2' }, actor)).token];
    [gw1, gw2] = await Promise.all([
      startGatewayProcess({ caUrl: caA.address, databaseUrl: database.url!, token: t1, dir }),
      startGatewayProcess({ caUrl: caB.address, databaseUrl: database.url!, token: t2, dir }),
    ]);
    for (const gw of [gw1, gw2]) gatewayIds.set(gw, /(gw_[0-9a-f]+) listening/.exec(gw.log.text())![1]!);
  }, 180_000);

  afterAll(async () => {
    for (const c of clients) await stopChild(c);
    for (const p of [gw1, gw2, caA, caB]) await p?.stop();
    await fixture?.close();
    await database?.close();
    removeDir(dir);
  });

  it('carries and records sessions through both gateways, each asking its own CA', { timeout: 60_000 }, async () => {
    for (const [gw, word] of [[gw1, 'one'], [gw2, 'two']] as const) {
      const r = await run(SSH, ['-F', bob.configFor(gw.address), 'gwscaleb@web-1', `echo through-gateway-${word}`], { timeoutMs: 30_000 });
      expect(r.stdout).toBe(`through-gateway-${word}\n`);
      const row = await eventually(
        () => db().selectFrom('sessions').selectAll().where('command', '=', `echo through-gateway-${word}`).where('status', '=', 'ended').executeTakeFirst(),
        'the ended session',
      );
      expect(row.gateway_id).toBe(gatewayIds.get(gw));
    }
    // Each gateway got its upstream certificates from its own CA instance: the key ids name the connection.
    expect(gw1.log.text()).toMatch(/bob\.scale@example\.com → gwscaleb@web-1/);
    expect(gw2.log.text()).toMatch(/bob\.scale@example\.com → gwscaleb@web-1/);
  });

  it('ends a live session on gateway 2 within a second of a lock made through CA A', { timeout: 60_000 }, async () => {
    const ssh = startSsh(alice.configFor(gw2.address), ['-tt', 'gwscalea@web-1']);
    await liveSessionOn(gw2, alice.userId);
    // The shell's prompt: the session is carried end to end, not only on record.
    await eventually(async () => (ssh.output().includes('$ ') ? true : undefined), 'the remote prompt');
    const lockedAt = Date.now();
    const response = await api(caA, `/v1/users/${alice.userId}/lock`, { reason: 'scale test' });
    expect(response.status).toBe(200);
    const { code, at } = await ssh.exit;
    const elapsed = at - lockedAt;
    console.log(`lock through CA A → session on gateway 2 ended in ${elapsed} ms`);
    expect(code).toBe(255);
    expect(elapsed).toBeLessThan(1500);
    expect(ssh.output()).toContain('access: your account was locked by an admin: scale test');
  });

  it('ends a live session on gateway 1 within a second of a revocation made through CA B, and refuses the certificate on gateway 2', { timeout: 60_000 }, async () => {
    const ssh = startSsh(carol.configFor(gw1.address), ['-tt', 'gwscalec@web-1']);
    await liveSessionOn(gw1, carol.userId);
    // The shell's prompt: the session is carried end to end, not only on record.
    await eventually(async () => (ssh.output().includes('$ ') ? true : undefined), 'the remote prompt');
    const revokedAt = Date.now();
    const response = await api(caB, '/v1/revocations', { serial: carol.serial.toString(), reason: 'laptop stolen' });
    expect(response.status).toBe(201);
    const { code, at } = await ssh.exit;
    console.log(`revocation through CA B → session on gateway 1 ended in ${at - revokedAt} ms`);
    expect(code).toBe(255);
    expect(at - revokedAt).toBeLessThan(1500);
    expect(ssh.output()).toContain('access: your certificate was revoked: laptop stolen');
    const again = await run(SSH, ['-F', carol.configFor(gw2.address), 'gwscalec@web-1', 'true'], { timeoutMs: 30_000 });
    expect(again.code).toBe(255);
    expect(again.stderr).toMatch(/your certificate was revoked \(laptop stolen\)/);
  });

  it('keeps serving on gateway 2 after kill -9 of gateway 1, which marks its session interrupted up to the last flush', { timeout: 120_000 }, async () => {
    const ssh = startSsh(bob.configFor(gw1.address), ['gwscaleb@web-1', 'for i in $(seq 1 900); do echo line-$i; sleep 0.1; done']);
    const session = await liveSessionOn(gw1, bob.userId);
    const deadline = Date.now() + 30_000;
    while (!ssh.output().includes('line-30\n') && Date.now() < deadline) await sleep(20);
    const seenAtKill = ssh.output().split('\n').filter((l) => l.startsWith('line-')).length;
    process.kill(await gw1.pid(), 'SIGKILL');
    await gw1.exited;
    await ssh.exit;

    // The engineer reconnects, through the gateway that is left.
    const r = await run(SSH, ['-F', bob.configFor(gw2.address), 'gwscaleb@web-1', 'echo after-the-kill'], { timeoutMs: 30_000 });
    expect(r.stdout).toBe('after-the-kill\n');

    // Gateway 2's sweep finds gateway 1 silent (20 s without a heartbeat) and marks its session interrupted.
    const swept = await eventually(
      async () => {
        const row = await db().selectFrom('sessions').selectAll().where('id', '=', session.id).executeTakeFirstOrThrow();
        return row.status === 'interrupted' ? row : undefined;
      },
      'the killed gateway\'s session to be marked interrupted',
      60_000,
    );
    expect(swept.end_reason).toMatch(/stopped unexpectedly/);
    const chunks = await db().selectFrom('session_chunks').select(['seq', 'events']).where('session_id', '=', session.id).orderBy('seq').execute();
    const recorded = chunks
      .flatMap((c) => c.events.split('\n'))
      .map((line) => JSON.parse(line) as [number, string, string])
      .filter((e) => e[1] === 'o')
      .map((e) => e[2])
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('line-'));
    expect(recorded).toEqual(recorded.map((_, i) => `line-${i + 1}`));
    // Flushed every second at 10 lines a second: at most ~1 s (and a line in flight) is missing.
    expect(recorded.length).toBeGreaterThanOrEqual(seenAtKill - 12);
    const interrupted = await db().selectFrom('audit_events').select('details').where('type', '=', 'session.interrupted').execute();
    expect(interrupted.map((e) => (e.details as Record<string, unknown>)['sessionId'])).toEqual([session.id]);
  });
});
