import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@access/db';
import { auditEventsOf, auditHead, eventually, recordingOf, recordedText } from '../support/gateway-records.ts';
import { startGatewayStack, type Engineer, type GatewayStack } from '../support/gateway-stack.ts';
import { boundedCommand } from '../support/process.ts';
import { SSH } from '../support/ssh-client.ts';

const CA_TIMEOUT_MS = 2000;

/**
 * The CA goes away while a gateway running apart from it carries sessions: first its HTTP
 * port refuses connections, then something on that port accepts and never answers. Sessions
 * already open go on, every byte recorded; new connections are refused at once (or after
 * the CA timeout) with one line saying why; once the CA is back, new sessions work again,
 * with the same gateway.
 */
describe('the CA unreachable while sessions are open', () => {
  let database: TestDatabase;
  let stack: GatewayStack;
  let lee: Engineer;
  let caPort: number;
  const children: ChildProcess[] = [];
  const db = () => stack.server.services.database.db;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    stack = await startGatewayStack({ databaseUrl: database.url!, remoteGateway: true, caTimeoutMs: CA_TIMEOUT_MS });
    await stack.addTarget('web-1');
    lee = await stack.addEngineer('lee@example.com', ['gwcaout']);
    caPort = Number(new URL(stack.server.url).port);
  }, 120_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await stack?.stop();
    await database?.close();
  });

  /** The CA's own HTTP server stops listening and drops its connections: its port refuses. */
  async function stopCaHttp(): Promise<void> {
    const http = stack.server.app.server;
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
  }
  async function startCaHttp(): Promise<void> {
    const http = stack.server.app.server;
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(caPort, '127.0.0.1', () => {
        http.off('error', reject);
        resolve();
      });
    });
  }
  /** Something on the CA's port that accepts connections and never answers (a hung CA, a black-holed route). */
  async function silentCa(): Promise<{ close(): Promise<void> }> {
    const held = new Set<Socket>();
    const server: Server = createServer((s) => held.add(s));
    await new Promise<void>((resolve) => server.listen(caPort, '127.0.0.1', resolve));
    return {
      close: () =>
        new Promise<void>((resolve) => {
          for (const s of held) s.destroy();
          server.close(() => resolve());
        }),
    };
  }

  /** A session the test keeps typing into: each line comes back from the target. */
  function openSession() {
    const [file, argv] = boundedCommand(SSH, ['-F', lee.sshConfig, '-T', 'gwcaout@web-1', 'echo started; while read line; do echo "got:$line"; done; echo bye'], 120);
    const child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    const seen = { stdout: '', stderr: '' };
    child.stdout!.on('data', (d: Buffer) => (seen.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (seen.stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let sent = '';
    const waitFor = (text: string) => eventually(async () => (seen.stdout.includes(text) ? true : undefined), `"${text}" from the session; saw ${JSON.stringify(seen)}`, 15_000);
    return {
      seen,
      exited,
      waitFor,
      get sent() {
        return sent;
      },
      async line(text: string) {
        sent += `${text}\n`;
        child.stdin!.write(`${text}\n`);
        await waitFor(`got:${text}\n`);
      },
      end: () => child.stdin!.end(),
    };
  }

  /** A new connection: refused quickly, with the one line, and no more. */
  async function expectRefused(why: RegExp, withinMs: number): Promise<string> {
    const started = Date.now();
    const r = await lee.ssh(['gwcaout@web-1', 'echo should-not-run'], { timeoutMs: 30_000 });
    const took = Date.now() - started;
    expect(r.timedOut).toBe(false);
    expect(took).toBeLessThan(withinMs);
    expect(r.code).toBe(255);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split(/\r?\n/).filter((l) => l.startsWith('access: '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(why);
    // No stack trace, no internal address.
    expect(r.stderr).not.toMatch(/\bat .*\.[jt]s:\d+|node:internal/);
    expect(r.stderr).not.toContain(`:${caPort}`);
    return lines[0]!;
  }

  it('keeps open sessions going and recorded, refuses new ones with a reason, and works again once the CA is back', { timeout: 120_000 }, async () => {
    const head = await auditHead(db());
    const session = openSession();
    await session.waitFor('started\n');
    await session.line('before-outage');

    // 1. The CA's port refuses connections.
    await stopCaHttp();
    await expect(fetch(`${stack.server.url}/v1/ca`)).rejects.toThrow();
    await session.line('during-refused-1');
    expect(await expectRefused(/^access: the access CA is unreachable \(connection refused\); try again shortly$/, 5000)).toBeTruthy();
    await session.line('during-refused-2');

    // 2. Something there accepts and never answers: refused after the CA timeout, not hung.
    const silent = await silentCa();
    try {
      await session.line('during-silent-1');
      await expectRefused(new RegExp(`^access: the access CA is unreachable \\(no answer within ${CA_TIMEOUT_MS / 1000} s\\); try again shortly$`), CA_TIMEOUT_MS + 4000);
      await session.line('during-silent-2');
    } finally {
      await silent.close();
    }

    // 3. The CA is back on its port: a new session works, through the same gateway.
    await startCaHttp();
    const back = await lee.ssh(['gwcaout@web-1', 'echo back-again']);
    expect(back).toMatchObject({ code: 0, stdout: 'back-again\n' });
    await session.line('after-outage');

    // The long session ends by itself (EOF), with everything it carried recorded.
    session.end();
    expect(await session.exited).toBe(0);
    const saw = session.seen.stdout;
    expect(saw).toBe(['started', ...['before-outage', 'during-refused-1', 'during-refused-2', 'during-silent-1', 'during-silent-2', 'after-outage'].map((l) => `got:${l}`), 'bye', ''].join('\n'));

    const command = 'echo started; while read line; do echo "got:$line"; done; echo bye';
    const row = await eventually(async () => {
      const r = await db().selectFrom('sessions').selectAll().where('command', '=', command).executeTakeFirstOrThrow();
      return r.status === 'ended' ? r : undefined;
    }, 'the long session to end');
    expect(row).toMatchObject({ status: 'ended', exit_status: 0, end_reason: null, recording_truncated: false });
    const events = await recordingOf(db(), row.id);
    expect(recordedText(events, 'o')).toBe(saw);
    expect(recordedText(events, 'i')).toBe(session.sent);
    expect(recordedText(events, 'e')).toBe('');
    expect(Number(row.bytes_out)).toBe(Buffer.byteLength(saw));
    expect(Number(row.bytes_in)).toBe(Buffer.byteLength(session.sent));

    const ends = await eventually(async () => {
      const found = (await auditEventsOf(db(), 'session.end', lee.userId, head)).filter((e) => e.details['sessionId'] === row.id);
      return found.length > 0 ? found : undefined;
    }, 'session.end of the long session');
    expect(ends).toHaveLength(1);
    expect(ends[0]!.details).toMatchObject({ exitStatus: 0, reason: null, bytesIn: Number(row.bytes_in), bytesOut: Number(row.bytes_out) });

    // Both refusals are on the audit trail, with why; three sessions started and ended: the long one and "back-again".
    const denied = await eventually(async () => {
      const found = await auditEventsOf(db(), 'session.denied', 'lee@example.com', head);
      return found.length >= 2 ? found : undefined;
    }, 'two session.denied events');
    expect(denied.map((d) => d.details['code'])).toEqual(['ERR_CA_UNREACHABLE', 'ERR_CA_UNREACHABLE']);
    const started = await auditEventsOf(db(), 'session.start', lee.userId, head);
    expect(started).toHaveLength(2);
    const allEnds = await eventually(async () => {
      const found = await auditEventsOf(db(), 'session.end', lee.userId, head);
      return found.length >= 2 ? found : undefined;
    }, 'both session.end events');
    expect(allEnds).toHaveLength(2);
  });
});
