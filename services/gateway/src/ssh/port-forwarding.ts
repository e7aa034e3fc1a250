import type { AuditSink } from '../audit-sink.ts';
import type { Client, ClientChannel, Connection, ServerChannel, TcpipRequestInfo } from 'ssh2';
import type { SessionGrant } from '../ca-client.ts';
import type { OuterInfo } from './inner-connection.ts';
import { pump } from './stream-pump.ts';

export interface ForwardDeps {
  upstream: Client;
  grant: SessionGrant;
  outer: OuterInfo;
  connectionId: string;
  audit: AuditSink;
  log: (line: string) => void;
}

function auditForward(deps: ForwardDeps, type: 'port.forward' | 'port.forward.denied', details: Record<string, unknown>): void {
  void deps.audit
    .append({
      type,
      actor: { kind: 'user', id: deps.outer.identity.userId, name: deps.outer.identity.email },
      remote: deps.outer.clientAddress,
      details: { connectionId: deps.connectionId, login: deps.grant.login, host: deps.grant.host.name, ...details },
    })
    .catch((error: unknown) => deps.log(`could not audit a port forward: ${(error as Error).message}`));
}

/** Joins two channels both ways with back-pressure and closes each when the other closes. */
function join(a: ServerChannel | ClientChannel, b: ServerChannel | ClientChannel, onDone: (bytesIn: number, bytesOut: number) => void): void {
  let bytesIn = 0;
  let bytesOut = 0;
  pump(a, b, (c) => (bytesIn += c.length));
  pump(b, a, (c) => (bytesOut += c.length));
  a.on('end', () => b.end());
  b.on('end', () => a.end());
  let done = false;
  const close = () => {
    if (done) return;
    done = true;
    a.close();
    b.close();
    onDone(bytesIn, bytesOut);
  };
  a.on('close', close);
  b.on('close', close);
}

/** `ssh -L`: a direct-tcpip channel inside the inner connection, opened from the target. */
export function bridgeLocalForward(
  accept: () => ServerChannel,
  reject: () => void,
  info: TcpipRequestInfo,
  deps: ForwardDeps,
): void {
  const destination = `${info.destIP}:${info.destPort}`;
  if (!deps.grant.permissions.portForwarding) {
    auditForward(deps, 'port.forward.denied', { direction: 'local', destination, reason: 'no role allows port forwarding' });
    return reject();
  }
  deps.upstream.forwardOut(info.srcIP, info.srcPort, info.destIP, info.destPort, (err, upstreamChannel) => {
    if (err) {
      auditForward(deps, 'port.forward.denied', { direction: 'local', destination, reason: `the target refused: ${err.message}` });
      return reject();
    }
    const channel = accept();
    join(channel, upstreamChannel, (bytesIn, bytesOut) =>
      auditForward(deps, 'port.forward', { direction: 'local', destination, bytesIn, bytesOut }),
    );
  });
}

/** `ssh -R`: listening on the target and carrying its connections back to the engineer. */
export function bridgeRemoteForwards(client: Connection, deps: ForwardDeps): void {
  const bound = new Set<string>();
  client.on('request', (accept, reject, name, info) => {
    if (name !== 'tcpip-forward' && name !== 'cancel-tcpip-forward') return reject?.();
    const bind = info as { bindAddr: string; bindPort: number };
    const listen = `${bind.bindAddr}:${bind.bindPort}`;
    if (name === 'cancel-tcpip-forward') {
      bound.delete(listen);
      deps.upstream.unforwardIn(bind.bindAddr, bind.bindPort, () => accept?.());
      return;
    }
    if (!deps.grant.permissions.portForwarding) {
      auditForward(deps, 'port.forward.denied', { direction: 'remote', listen, reason: 'no role allows port forwarding' });
      return reject?.();
    }
    deps.upstream.forwardIn(bind.bindAddr, bind.bindPort, (err, port) => {
      if (err) {
        auditForward(deps, 'port.forward.denied', { direction: 'remote', listen, reason: `the target refused: ${err.message}` });
        return reject?.();
      }
      bound.add(`${bind.bindAddr}:${port}`);
      auditForward(deps, 'port.forward', { direction: 'remote', listen: `${bind.bindAddr}:${port}`, state: 'listening' });
      accept?.(port);
    });
  });
  deps.upstream.on('tcp connection', (details, acceptUp, rejectUp) => {
    if (!bound.has(`${details.destIP}:${details.destPort}`)) return rejectUp();
    client.forwardOut(details.destIP, details.destPort, details.srcIP, details.srcPort, (err, channel) => {
      if (err) return rejectUp();
      const upChannel = acceptUp();
      join(channel, upChannel, (bytesIn, bytesOut) =>
        auditForward(deps, 'port.forward', { direction: 'remote', listen: `${details.destIP}:${details.destPort}`, from: `${details.srcIP}:${details.srcPort}`, bytesIn, bytesOut }),
      );
    });
  });
}
