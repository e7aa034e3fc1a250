import { spawn } from 'node:child_process';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockUser } from '../../services/ca/src/identity/users.ts';
import { getFreePort } from '../support/free-port.ts';
import { startGatewayStack, type Engineer, type GatewayStack, type Target } from '../support/gateway-stack.ts';
import { boundedCommand, sleep, stopChild } from '../support/process.ts';
import { SSH } from '../support/ssh-client.ts';
import { startSshAgent, type SshAgentHandle } from '../support/ssh-agent.ts';

/** A TCP server on loopback that answers each line with "echo:" and the line. */
async function startEcho(): Promise<Server> {
  const server = createServer((socket) => socket.on('data', (d) => socket.write(`echo:${d.toString()}`)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** Sends one line through a local port and returns what came back (empty when the far side hung up). */
function roundTrip(port: number, line: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    const done = () => {
      socket.destroy();
      resolve(got);
    };
    socket.on('connect', () => socket.write(line));
    socket.on('data', (d) => {
      got += d.toString();
      if (got.includes('\n')) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    setTimeout(done, 5000).unref();
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('the gateway decides who reaches what', () => {
  let stack: GatewayStack;
  let web1: Target;
  let alice: Engineer;
  let bob: Engineer;
  let echo: Server;
  let agent: SshAgentHandle;

  const auditEvents = async (type: string) =>
    (await stack.server.services.database.db.selectFrom('audit_events').select(['type', 'details', 'actor']).where('type', '=', type).orderBy('seq').execute()).map((r) => ({
      ...r,
      details: r.details as Record<string, unknown>,
    }));

  beforeAll(async () => {
    stack = await startGatewayStack();
    web1 = await stack.addTarget('web-1');
    alice = await stack.addEngineer('alice@example.com', ['gwalice'], { portForwarding: true });
    bob = await stack.addEngineer('bob@example.com', ['gwbob'], { portForwarding: false });
    echo = await startEcho();
    agent = await startSshAgent(alice.home);
    await agent.add(`${alice.home}/key`);
  }, 120_000);
  afterAll(async () => {
    echo?.close();
    await agent?.stop();
    await stack?.stop();
  });

  it('carries a local port forward when the role allows it, and audits it', async () => {
    const local = await getFreePort();
    const echoPort = (echo.address() as AddressInfo).port;
    const [file, args] = boundedCommand(SSH, ['-F', alice.sshConfig, '-N', '-o', 'ExitOnForwardFailure=yes', '-L', `${local}:127.0.0.1:${echoPort}`, 'gwalice@web-1'], 60);
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      const answer = await waitFor('the forward to answer', async () => (await roundTrip(local, 'ping\n')) || null, 20_000);
      expect(answer).toBe('echo:ping\n');
    } finally {
      await stopChild(child);
    }
    const forwards = await waitFor('the port.forward event', async () => {
      const events = await auditEvents('port.forward');
      return events.length > 0 ? events : null;
    });
    expect(forwards[0]!.details).toMatchObject({ direction: 'local', destination: `127.0.0.1:${echoPort}`, login: 'gwalice', host: 'web-1', bytesIn: 5, bytesOut: 10 });
  });

  it('refuses local and remote port forwards when no role allows them', async () => {
    const local = await getFreePort();
    const echoPort = (echo.address() as AddressInfo).port;
    const [file, args] = boundedCommand(SSH, ['-F', bob.sshConfig, '-N', '-L', `${local}:127.0.0.1:${echoPort}`, 'gwbob@web-1'], 60);
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      // The listener is local: it accepts, then the gateway refuses the channel and ssh hangs up.
      await waitFor('ssh to listen', async () => new Promise<boolean>((r) => connect(local, '127.0.0.1').on('connect', function (this: Socket) { this.destroy(); r(true); }).on('error', () => r(false))), 20_000);
      expect(await roundTrip(local, 'ping\n')).toBe('');
      await waitFor('the refusal on stderr', async () => /open failed/.test(stderr));
    } finally {
      await stopChild(child);
    }
    const remote = await bob.ssh(['-o', 'ExitOnForwardFailure=yes', '-R', `0:127.0.0.1:${echoPort}`, 'gwbob@web-1', 'echo should-not-run']);
    expect(remote.code).toBe(255);
    expect(remote.stderr).toMatch(/remote port forwarding failed/);
    expect(remote.stdout).not.toContain('should-not-run');
    const denied = await auditEvents('port.forward.denied');
    expect([...new Set(denied.map((e) => e.details['direction']))].sort()).toEqual(['local', 'remote']);
    expect(denied.every((e) => e.details['login'] === 'gwbob')).toBe(true);
  });

  it('does not forward the engineer’s agent or X11', async () => {
    const r = await alice.ssh(['-A', '-X', '-o', `IdentityAgent=${agent.socket}`, 'gwalice@web-1', 'echo "agent=[${SSH_AUTH_SOCK:-}] display=[${DISPLAY:-}]"'], { env: { ...process.env, SSH_AUTH_SOCK: agent.socket, DISPLAY: ':0' } });
    expect(r.stdout).toBe('agent=[] display=[]\n');
    expect(r.code).toBe(0);
  });

  it('refuses an unenrolled host with a reason on the terminal and a session.denied event', async () => {
    const r = await alice.ssh(['-o', `ProxyJump=127.0.0.1:${stack.gatewayPort}`, '-o', 'HostKeyAlias=db-9', 'gwalice@db-9', 'true']);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/open failed: administratively prohibited: "db-9" is not an enrolled host/);
    const denied = await auditEvents('session.denied');
    expect(denied.some((e) => e.details['code'] === 'ERR_UNKNOWN_HOST' && String(e.details['destination']).startsWith('db-9'))).toBe(true);
  });

  it('carries only ssh through the jump: another port on an enrolled host is refused', async () => {
    // `ssh -W` straight at the gateway: what ProxyJump does, to another port.
    const r = await alice.ssh(['-p', String(stack.gatewayPort), '-W', 'web-1:80', '127.0.0.1']);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/open failed: administratively prohibited: the gateway carries only ssh to web-1/);
  });

  it('refuses a login the person is not granted, saying why', async () => {
    const mark = web1.sshd.logMark();
    const r = await alice.ssh(['gwbob@web-1', 'true']);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/access: your certificate does not name the login "gwbob"/);
    const denied = await auditEvents('session.denied');
    expect(denied.some((e) => e.details['code'] === 'ERR_LOGIN_NOT_GRANTED' && e.details['login'] === 'gwbob')).toBe(true);
    // Nothing reached the target: no upstream sign-in was attempted for the refused login.
    expect(web1.sshd.logText(mark)).not.toMatch(/gwbob/);
  });

  it('a lock ends a live session within a second and tells the engineer why', async () => {
    const [file, args] = boundedCommand(SSH, ['-F', bob.sshConfig, 'gwbob@web-1', 'echo started; sleep 60'], 90);
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor('the session to start', async () => stdout.includes('started'), 20_000);
      const { services } = stack.server;
      const lockedAt = Date.now();
      await lockUser({ db: services.database.db, audit: services.audit, clock: services.clock }, bob.userId, 'offboarding test', { kind: 'cli', id: 'test' });
      const code = await Promise.race([exited, sleep(5000).then(() => 'still running' as const)]);
      const tookMs = Date.now() - lockedAt;
      expect(code).not.toBe('still running');
      expect(code).not.toBe(0);
      expect(tookMs).toBeLessThan(1500);
      expect(stderr).toMatch(/access: your account was locked by an admin: offboarding test/);
    } finally {
      await stopChild(child);
    }
    const row = await waitFor('the session to end', async () =>
      stack.server.services.database.db.selectFrom('sessions').selectAll().where('user_email', '=', 'bob@example.com').where('status', '=', 'ended').where('command', '=', 'echo started; sleep 60').executeTakeFirst(),
    );
    expect(row.end_reason).toMatch(/locked/);
    // And a locked person cannot start a new one.
    const again = await bob.ssh(['gwbob@web-1', 'true']);
    expect(again.code).toBe(255);
    expect(again.stderr).toMatch(/locked/);
  });
});
