import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Gateway } from '@access/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, recordedText, recordingOf } from '../support/gateway-records.ts';
import { startExtraGateway, startGatewayStack, type Engineer, type GatewayStack, type Target } from '../support/gateway-stack.ts';
import { boundedCommand, sleep, stopChild } from '../support/process.ts';
import { SSH } from '../support/ssh-client.ts';

const INTERVAL_MS = 1000;
const COUNT_MAX = 3;
/** Silence until the gateway gives up: the asks at 1, 2 and 3 s go unanswered, the 4th tick ends it. */
const GIVES_UP_MS = (COUNT_MAX + 1) * INTERVAL_MS;

/** A loopback TCP relay to the gateway that can freeze: both sockets stay open, nothing moves either way. */
interface Relay {
  port: number;
  freeze(): void;
  close(): Promise<void>;
}

async function startRelay(to: number): Promise<Relay> {
  const pairs: Array<[Socket, Socket]> = [];
  let frozen = false;
  const server: Server = createServer((client) => {
    const gateway = connect({ host: '127.0.0.1', port: to });
    pairs.push([client, gateway]);
    for (const [from, toSocket] of [
      [client, gateway],
      [gateway, client],
    ] as const) {
      from.on('data', (data: Buffer) => !frozen && toSocket.write(data));
      from.on('end', () => !frozen && toSocket.end());
      from.on('error', () => undefined);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    freeze() {
      frozen = true;
      // Unread bytes stay in the kernel: neither side hears from the other, neither sees a FIN or RST.
      for (const socket of pairs.flat()) socket.pause();
    },
    async close() {
      for (const socket of pairs.flat()) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('a client that stops answering (half-open TCP)', () => {
  let stack: GatewayStack;
  let gateway: Gateway;
  let target: Target;
  let engineer: Engineer;
  const log: string[] = [];
  const children: ChildProcess[] = [];
  const relays: Relay[] = [];

  beforeAll(async () => {
    stack = await startGatewayStack();
    target = await stack.addTarget('web-1');
    engineer = await stack.addEngineer('hana.halfopen@example.com', ['gwhalf']);
    gateway = await startExtraGateway(stack, 'half-open', { clientAliveIntervalMs: INTERVAL_MS, clientAliveCountMax: COUNT_MAX }, (line) => log.push(line));
  }, 120_000);
  afterAll(async () => {
    for (const c of children) await stopChild(c);
    for (const r of relays) await r.close();
    await gateway?.close();
    await stack?.stop();
  });

  /** `ssh` to web-1 through `relay` to the test's gateway, running `command`; stdout as it comes. */
  function sshThrough(relay: Relay, command: string) {
    const [file, args] = boundedCommand(SSH, ['-F', engineer.sshConfig, '-o', `ProxyJump=127.0.0.1:${relay.port}`, 'gwhalf@web-1', command], 120);
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    children.push(child);
    const out = { stdout: '', stderr: '', exited: false };
    child.stdout!.on('data', (d: Buffer) => (out.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
    child.once('exit', () => (out.exited = true));
    return out;
  }

  const db = () => stack.server.services.database.db;
  const liveSessionOf = (command: string) =>
    eventually(() => db().selectFrom('sessions').selectAll().where('command', '=', command).where('status', '=', 'live').executeTakeFirst(), 'the live session', 20_000);

  it('ends the connection, its session with the reason, and the target connection, and keeps exactly what the client saw', { timeout: 60_000 }, async () => {
    const relay = await startRelay(gateway.address().port);
    relays.push(relay);
    const command = 'printf "half-open-%s\\n" 42; sleep 100';
    const client = sshThrough(relay, command);
    await eventually(async () => (client.stdout === 'half-open-42\n' ? true : undefined), 'the output', 20_000);
    const row = await liveSessionOf(command);
    expect(gateway.openSockets()).toBe(1);
    const targetMark = target.sshd.logMark();

    relay.freeze();
    const frozenAt = Date.now();
    const ended = await eventually(async () => {
      const r = await db().selectFrom('sessions').select(['status', 'end_reason']).where('id', '=', row.id).executeTakeFirstOrThrow();
      return r.status === 'ended' ? r : undefined;
    }, 'the session to end', GIVES_UP_MS + 8000);
    const tookMs = Date.now() - frozenAt;
    expect(ended.end_reason).toBe('the client stopped answering');
    expect(tookMs).toBeGreaterThanOrEqual(GIVES_UP_MS - 200);
    expect(tookMs).toBeLessThan(GIVES_UP_MS + 6000);

    await eventually(async () => (gateway.openSockets() === 0 ? true : undefined), "the gateway's socket to close", 5000);
    expect(gateway.liveConnections()).toBe(0);
    await target.sshd.waitForLog(/(Disconnected from user gwhalf|Connection closed by|Close session: user gwhalf)/, 5000, targetMark);

    const recording = await recordingOf(db(), row.id);
    expect(recordedText(recording, 'o')).toBe(client.stdout);
    expect(recordedText(recording, 'i')).toBe('');
    expect(recording.filter((e) => e[1] === 'm').map((e) => e[2])).toEqual(['ended by the gateway: the client stopped answering']);
    expect(log.filter((l) => l.includes('keepalives unanswered')).length).toBeGreaterThanOrEqual(1);
    // The client itself is still frozen; it never heard any of this.
    expect(client.exited).toBe(false);
  });

  it('keeps an idle client that answers (no ServerAliveInterval of its own) across several intervals', { timeout: 60_000 }, async () => {
    const relay = await startRelay(gateway.address().port);
    relays.push(relay);
    const command = 'printf "idle-%s\\n" 7; read line; echo "got $line"';
    const client = sshThrough(relay, command);
    await eventually(async () => (client.stdout === 'idle-7\n' ? true : undefined), 'the output', 20_000);
    const row = await liveSessionOf(command);

    await sleep(GIVES_UP_MS * 2);
    const still = await db().selectFrom('sessions').select(['status']).where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(still.status).toBe('live');
    expect(client.exited).toBe(false);

    const child = children.at(-1)!;
    child.stdin!.write('hello\n');
    await eventually(async () => (client.exited ? true : undefined), 'the command to finish', 10_000);
    expect(client.stdout).toBe('idle-7\ngot hello\n');
    const ended = await eventually(async () => {
      const r = await db().selectFrom('sessions').select(['status', 'end_reason', 'exit_status']).where('id', '=', row.id).executeTakeFirstOrThrow();
      return r.status === 'ended' ? r : undefined;
    }, 'the session to end');
    expect(ended).toMatchObject({ end_reason: null, exit_status: 0 });
  });
});
