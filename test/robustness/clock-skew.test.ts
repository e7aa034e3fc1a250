import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '@access/audit';
import { createTestDatabase, openDatabase, type DatabaseHandle, type SessionRow, type TestDatabase } from '@access/db';
import { createHttpGatewayCa, DEFAULT_GATEWAY_CONFIG, startGateway, type Gateway } from '@access/gateway';
import { getFreePort } from '../support/free-port.ts';
import { auditEventsOf, auditHead, eventually, recordingOf, recordedText } from '../support/gateway-records.ts';
import { startGatewayStack, type Engineer, type GatewayStack } from '../support/gateway-stack.ts';
import { boundedCommand, run, sleep } from '../support/process.ts';
import { SSH } from '../support/ssh-client.ts';

const FIVE_MINUTES = 5 * 60_000;
const behind = () => new Date(Date.now() - FIVE_MINUTES);
const ahead = () => new Date(Date.now() + FIVE_MINUTES);

/**
 * Two gateways apart from the CA, one whose clock is 5 minutes behind the CA's and one 5
 * minutes ahead, on one database, at the same time. The CA backdates certificates by only
 * a second here (ACCESS_CLOCK_SKEW=1s), so the gateway behind it sees every certificate the
 * CA has just made as not yet valid: it takes them within its clock tolerance (5 minutes),
 * the engineer's and the target's alike. Sessions through either are carried and recorded
 * exactly, and neither gateway takes the other for gone.
 */
describe('gateways whose clocks are 5 minutes off the CA\'s', () => {
  let database: TestDatabase;
  let stack: GatewayStack;
  let ria: Engineer;
  /** The stack's own gateway runs 5 minutes behind; this one 5 minutes ahead. */
  let second: { gateway: Gateway; database: DatabaseHandle; sshConfig: string } | undefined;
  const children: ChildProcess[] = [];
  const db = () => stack.server.services.database.db;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    stack = await startGatewayStack({ databaseUrl: database.url!, remoteGateway: true, gatewayClock: behind, caEnv: { ACCESS_CLOCK_SKEW: '1s' } });
    await stack.addTarget('web-1');
    ria = await stack.addEngineer('ria@example.com', ['gwskew']);

    const { token } = await stack.server.services.tokens.create({ role: 'gateway', description: 'gateway ahead' }, { kind: 'cli', id: 'clock-skew-test' });
    const handle = await openDatabase({ url: database.url! });
    const port = await getFreePort();
    const gateway = await startGateway({
      config: {
        ...DEFAULT_GATEWAY_CONFIG,
        sshAddr: { host: '127.0.0.1', port },
        names: ['127.0.0.1'],
        exclusiveDatabase: false,
        spoolDir: join(ria.home, 'ahead-spool'),
        // Looks for gone gateways every half second (after 7 s in touch with the database);
        // gone means silent for 7 s, and the other gateway beats every 5 s.
        heartbeatMs: 500,
        staleMs: 7000,
      },
      ca: createHttpGatewayCa({ url: stack.server.url, token }),
      db: handle.db,
      audit: createAuditLog(handle.db, () => new Date()),
      listen: (channel, onPayload) => handle.listen(channel, onPayload),
      clock: ahead,
      log: (line) => stack.log.push(`gateway-ahead: ${line}`),
    });
    const sshConfig = join(ria.home, 'ssh_config_ahead');
    writeFileSync(sshConfig, readFileSync(ria.sshConfig, 'utf8').replaceAll(`127.0.0.1:${stack.gatewayPort}`, `127.0.0.1:${port}`));
    second = { gateway, database: handle, sshConfig };
  }, 120_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await second?.gateway.close();
    await second?.database.close();
    await stack?.stop();
    await database?.close();
  });

  const viaAhead = (args: readonly string[]) => run(SSH, ['-F', second!.sshConfig, ...args], { timeoutMs: 60_000 });

  async function endedByCommand(command: string): Promise<SessionRow> {
    return eventually(async () => {
      const rows = await db().selectFrom('sessions').selectAll().where('command', '=', command).execute();
      expect(rows.length).toBeLessThanOrEqual(1);
      return rows[0] && rows[0].status !== 'live' ? rows[0] : undefined;
    }, `the session of ${command} to end`);
  }

  /** The recording and the audit trail hold exactly what the engineer sent and saw. */
  async function expectRecorded(row: SessionRow, sent: string, stdout: string, stderr: string, after: bigint): Promise<void> {
    expect(row).toMatchObject({ status: 'ended', exit_status: 0, end_reason: null, recording_truncated: false });
    const events = await recordingOf(db(), row.id);
    expect(recordedText(events, 'o')).toBe(stdout);
    expect(recordedText(events, 'e')).toBe(stderr);
    expect(recordedText(events, 'i')).toBe(sent);
    expect(Number(row.bytes_out)).toBe(Buffer.byteLength(stdout + stderr));
    expect(Number(row.bytes_in)).toBe(Buffer.byteLength(sent));
    const ends = await eventually(async () => {
      const found = (await auditEventsOf(db(), 'session.end', ria.userId, after)).filter((e) => e.details['sessionId'] === row.id);
      return found.length > 0 ? found : undefined;
    }, 'session.end');
    expect(ends).toHaveLength(1);
    expect(ends[0]!.details).toMatchObject({ exitStatus: 0, reason: null, bytesIn: Number(row.bytes_in), bytesOut: Number(row.bytes_out) });
    const starts = (await auditEventsOf(db(), 'session.start', ria.userId, after)).filter((e) => e.details['sessionId'] === row.id);
    expect(starts).toHaveLength(1);
  }

  it('carries a session through the gateway 5 minutes behind: the certificates just made are taken within the tolerance', async () => {
    const head = await auditHead(db());
    const command = 'echo "behind-$((6*7))"; echo to-stderr >&2';
    const r = await ria.ssh(['gwskew@web-1', command]);
    expect(r).toMatchObject({ code: 0, stdout: 'behind-42\n' });
    expect(r.stderr).toBe('to-stderr\n');
    await expectRecorded(await endedByCommand(command), '', 'behind-42\n', 'to-stderr\n', head);
  });

  it('carries a session through the gateway 5 minutes ahead', async () => {
    const head = await auditHead(db());
    const command = 'echo "ahead-$((6*7))"';
    const r = await viaAhead(['gwskew@web-1', command]);
    expect(r).toMatchObject({ code: 0, stdout: 'ahead-42\n', stderr: '' });
    await expectRecorded(await endedByCommand(command), '', 'ahead-42\n', '', head);
  });

  it('keeps a session on the gateway behind live while the one ahead looks for gone gateways', { timeout: 60_000 }, async () => {
    const head = await auditHead(db());
    const command = 'echo started; while read line; do echo "got:$line"; done';
    const [file, argv] = boundedCommand(SSH, ['-F', ria.sshConfig, '-T', 'gwskew@web-1', command], 60);
    const child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const waitFor = (text: string) => eventually(async () => (stdout.includes(text) ? true : undefined), `"${text}"`, 15_000);
    let sent = '';
    const line = async (text: string) => {
      sent += `${text}\n`;
      child.stdin!.write(`${text}\n`);
      await waitFor(`got:${text}\n`);
    };
    await waitFor('started\n');
    await line('first');

    // The gateway ahead sees the other's heartbeats, written by the database's clock, as
    // fresh; by its own clock they would be 5 minutes old and the session "interrupted".
    // Long enough for several of its sweeps (each ahead-i takes about a second).
    const rounds = 10;
    for (let i = 0; i < rounds; i++) {
      const r = await viaAhead(['gwskew@web-1', `echo ahead-${i}`]);
      expect(r).toMatchObject({ code: 0, stdout: `ahead-${i}\n` });
      await line(`while-ahead-${i}`);
      await sleep(500);
    }
    child.stdin!.end();
    expect(await exited).toBe(0);
    expect(stdout).toBe(['started', 'got:first', ...Array.from({ length: rounds }, (_, i) => `got:while-ahead-${i}`), ''].join('\n'));
    await expectRecorded(await endedByCommand(command), sent, stdout, '', head);
    expect(await auditEventsOf(db(), 'session.interrupted', ria.userId, head)).toEqual([]);
  });
});
