import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endedSessionByCommand } from '../support/gateway-records.ts';
import { startGatewayStack, type Engineer, type GatewayStack } from '../support/gateway-stack.ts';
import { run } from '../support/process.ts';
import { startHeaderProxy, type HeaderProxy } from '../support/proxy-header-proxy.ts';
import { SSH } from '../support/ssh-client.ts';

/** The "real client" a load balancer names; nothing on this machine has this address. */
const FORWARDED = '198.51.100.23';
const header = (gatewayPort: number) => `PROXY TCP4 ${FORWARDED} 127.0.0.1 40123 ${gatewayPort}\r\n`;

/**
 * A gateway behind a TCP load balancer that speaks the PROXY protocol: the load balancer is
 * 127.0.0.2 (a loopback address of its own), and only its header is believed. The same header
 * from 127.0.0.1 is what a client forging its address would send (CVE-2024-35175).
 */
describe('the gateway behind a PROXY protocol load balancer', () => {
  let stack: GatewayStack;
  let alice: Engineer;
  const proxies: HeaderProxy[] = [];

  /** alice's ssh_config, jumping through `port` instead of the gateway itself. */
  const configVia = (port: number, name: string) => {
    const path = `${alice.home}/${name}`;
    writeFileSync(path, readFileSync(alice.sshConfig, 'utf8').replaceAll(`ProxyJump 127.0.0.1:${stack.gatewayPort}`, `ProxyJump 127.0.0.1:${port}`));
    return path;
  };
  const db = () => stack.server.services.database.db;

  beforeAll(async () => {
    stack = await startGatewayStack({ proxyProtocolFrom: '127.0.0.2' });
    await stack.addTarget('web-1');
    alice = await stack.addEngineer('alice.proxy@example.com', ['gwproxy']);
  }, 60_000);
  afterAll(async () => {
    for (const p of proxies) await p.close();
    await stack?.stop();
  });

  it('records the address a trusted load balancer forwards, everywhere the client address is used', async () => {
    const lb = await startHeaderProxy({ targetPort: stack.gatewayPort, header: header(stack.gatewayPort), localAddress: '127.0.0.2' });
    proxies.push(lb);
    const r = await run(SSH, ['-F', configVia(lb.port, 'via-lb'), 'gwproxy@web-1', 'echo through-the-lb'], { timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('through-the-lb\n');
    const session = await endedSessionByCommand(db(), 'echo through-the-lb');
    expect(session.client_address).toBe(FORWARDED);
    const audited = await db().selectFrom('audit_events').select(['type', 'remote']).where('type', 'in', ['session.start', 'session.end']).where('actor', '@>', JSON.stringify({ id: alice.userId }) as never).execute();
    expect(audited.length).toBeGreaterThanOrEqual(2);
    expect(new Set(audited.map((e) => e.remote))).toEqual(new Set([FORWARDED]));
  });

  it('checks the certificate\'s source-address against the forwarded address', async () => {
    const lb = await startHeaderProxy({ targetPort: stack.gatewayPort, header: header(stack.gatewayPort), localAddress: '127.0.0.2' });
    proxies.push(lb);
    const { services } = stack.server;
    const original = readFileSync(`${alice.home}/key-cert.pub`, 'utf8');
    const restricted = await services.authority.sign(
      { type: 'user', publicKey: readFileSync(`${alice.home}/key.pub`, 'utf8'), principals: ['gwproxy'], ttl: '1h', keyId: alice.email, extensions: ['permit-pty'], criticalOptions: { sourceAddress: `${FORWARDED}/32` } },
      { actor: { kind: 'user', id: alice.userId, name: alice.email }, remote: null },
    );
    writeFileSync(`${alice.home}/key-cert.pub`, `${restricted.certificate}\n`);
    try {
      const viaLb = await run(SSH, ['-F', configVia(lb.port, 'via-lb-2'), 'gwproxy@web-1', 'echo source-ok'], { timeoutMs: 30_000 });
      expect(viaLb.stdout).toBe('source-ok\n');
      // Straight from 127.0.0.1 the same certificate is refused at the gateway.
      const direct = await alice.ssh(['gwproxy@web-1', 'echo source-direct'], { timeoutMs: 30_000 });
      expect(direct.code).toBe(255);
      expect(stack.log.join('\n')).toMatch(/source-address does not allow 127\.0\.0\.1/);
    } finally {
      writeFileSync(`${alice.home}/key-cert.pub`, original);
    }
  });

  it('never reads a PROXY header from anyone else: the forged connection fails its handshake', async () => {
    const forger = await startHeaderProxy({ targetPort: stack.gatewayPort, header: header(stack.gatewayPort), localAddress: '127.0.0.1' });
    proxies.push(forger);
    const forwardedEvents = () => db().selectFrom('audit_events').select('seq').where('remote', '=', FORWARDED).execute();
    const before = (await forwardedEvents()).length;
    const logFrom = stack.log.length;
    const r = await run(SSH, ['-F', configVia(forger.port, 'via-forger'), 'gwproxy@web-1', 'echo forged'], { timeoutMs: 30_000 });
    expect(r.code).toBe(255);
    expect(r.stdout).toBe('');
    // The gateway's SSH server read "PROXY TCP4 …" as the client's SSH greeting and hung up.
    expect(r.stderr).toMatch(/kex_exchange_identification: Connection closed by remote host/);
    expect(stack.log.slice(logFrom).join('\n')).not.toContain(FORWARDED);
    const sessions = await db().selectFrom('sessions').select('command').execute();
    expect(sessions.map((s) => s.command)).not.toContain('echo forged');
    expect((await forwardedEvents()).length).toBe(before);
  });

  it('closes a connection from the load balancer that does not start with a header', async () => {
    const socket = connect({ port: stack.gatewayPort, host: '127.0.0.1', localAddress: '127.0.0.2' });
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString()));
    socket.write('SSH-2.0-OpenSSH_9.2\r\n');
    await new Promise((resolve) => socket.on('close', resolve));
    // Not even the gateway's SSH greeting: the SSH server never saw this connection.
    expect(received).toBe('');
    expect(stack.log.join('\n')).toMatch(/could not serve a connection from 127\.0\.0\.2: the connection did not start with a PROXY protocol header/);
  });
});
