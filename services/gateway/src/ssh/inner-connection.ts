import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import ssh2, { type Client, type Connection } from 'ssh2';
import type { AuditSink } from '../audit-sink.ts';
import type { EngineerIdentity, GatewayCa, HostInfo, SessionGrant } from '../ca-client.ts';
import type { LiveConnections } from '../live-connections.ts';
import { credentialOf, type LiveCredential } from '../revocation-match.ts';
import type { SessionRecorder } from '../recording/session-recorder.ts';
import { createChannelLimit } from '../limits/channel-limit.ts';
import { CLIENT_STOPPED_ANSWERING, isClientTimeout, keepaliveOptions, type ClientAliveLimits } from '../limits/client-alive.ts';
import { CIPHERS, KEX, MACS } from './algorithms.ts';
import { sayBeforeRefusing } from './auth-refusal.ts';
import { checkCertificateAuth } from './certificate-auth.ts';
import type { HostKeys, KeyPair } from './gateway-keys.ts';
import { bridgeLocalForward, bridgeRemoteForwards } from './port-forwarding.ts';
import { bridgeSession } from './session-bridge.ts';
import { dialUpstream } from './upstream-dialer.ts';
import type { SshPublicKey } from '@access/sshcert';

export interface InnerDeps {
  ca: GatewayCa;
  audit: AuditSink;
  recorder: SessionRecorder;
  live: LiveConnections;
  hostKeys: HostKeys;
  upstreamKey: KeyPair;
  userCaKeys: () => readonly SshPublicKey[];
  hostCaKeys: () => readonly SshPublicKey[];
  clock: () => Date;
  connectTimeoutMs: number;
  /**
   * An inner connection not signed in this long after its channel opened is closed, as the
   * outer connection is: the engineer is known, but a stalled handshake would hold a channel
   * and a half-made SSH server without end.
   */
  handshakeTimeoutMs: number;
  log: (line: string) => void;
  /** Keepalives to the engineer's client on both the outer and the inner connection. */
  clientAlive: ClientAliveLimits;
  /** Channels (sessions, forwarded connections) an inner connection may have open at once. */
  maxInnerChannels: number;
}

export interface OuterInfo {
  identity: EngineerIdentity;
  /** The outer certificate's force-command, enforced on every session. */
  forceCommand: string | null;
  clientAddress: string;
  host: HostInfo;
  destination: string;
  /** Registers this inner connection's ending with the outer connection (which ends it when the client stops answering); returns the unregister. */
  carry(end: (reason: string) => void): () => void;
}

export const newConnectionId = () => `con_${randomBytes(8).toString('hex')}`;

/**
 * Terminates the engineer's inner SSH connection (carried in a direct-tcpip channel of the
 * outer one) here: presents a host certificate for the target's name, authenticates the
 * engineer again, asks the CA for a decision and an upstream certificate, signs in to the
 * target and bridges every channel.
 */
export async function serveInnerConnection(stream: Duplex, outer: OuterInfo, deps: InnerDeps): Promise<void> {
  const hostKey = await deps.hostKeys.forNames([outer.host.name]);
  // Its keepalives travel inside the outer connection: they find a client whose outer
  // connection is alive but whose inner one no longer answers.
  const server = new ssh2.Server({ hostKeys: [hostKey], algorithms: { cipher: CIPHERS, kex: KEX, hmac: MACS }, ...keepaliveOptions(deps.clientAlive) } as never);
  const handshake = setTimeout(() => {
    deps.log(`closed the connection of ${outer.identity.email} to ${outer.host.name}: not signed in within ${deps.handshakeTimeoutMs} ms`);
    stream.destroy();
  }, deps.handshakeTimeoutMs);
  stream.once('close', () => clearTimeout(handshake));
  server.on('connection', (client: Connection) => handle(client, outer, deps, () => clearTimeout(handshake)));
  server.injectSocket(stream as never);
}

function handle(client: Connection, outer: OuterInfo, deps: InnerDeps, signedIn: () => void): void {
  const connectionId = newConnectionId();
  let upstream: Client | null = null;
  let grant: SessionGrant | null = null;
  let signingIn = false;
  let credential: LiveCredential | undefined;
  const untrack: Array<() => void> = [];
  const sessionEnds = new Set<(reason: string) => Promise<void>>();
  const channels = createChannelLimit(deps.maxInnerChannels);
  let endOnTimeout: ((reason: string) => void) | null = null;
  let closed = false;

  client.on('authentication', (ctx) => {
    if (ctx.method !== 'publickey' || signingIn || grant) return ctx.reject(['publickey']);
    const check = checkCertificateAuth(ctx, { trustedCaKeys: deps.userCaKeys(), now: deps.clock(), clientAddress: outer.clientAddress });
    if (check.kind === 'query') return ctx.accept();
    if (check.kind === 'refused') {
      deps.log(`inner sign-in refused for ${outer.identity.email}: ${check.reason}`);
      return ctx.reject(['publickey']);
    }
    signingIn = true;
    const login = ctx.username;
    void (async () => {
      const identity = await deps.ca.identify(check.certificate);
      if (identity.userId !== outer.identity.userId) throw new Error('the inner certificate belongs to someone else than the outer one');
      const dialed = await dialUpstream<SessionGrant>({
        target: outer.host,
        login,
        privateKey: deps.upstreamKey.privateKey,
        hostCaKeys: deps.hostCaKeys,
        connectTimeoutMs: deps.connectTimeoutMs,
        now: deps.clock,
        authorize: (sourceAddress) =>
          deps.ca.authorize({
            certificate: check.certificate,
            identity,
            login,
            destination: outer.host.name,
            connectionId,
            upstreamPublicKey: deps.upstreamKey.publicKey,
            sourceAddress,
            clientAddress: outer.clientAddress,
          }),
      });
      return dialed;
    })().then(
      ({ client: up, grant: g }) => {
        // The engineer went (or the handshake timed out) while the target was dialed.
        if (closed) return void up.end();
        upstream = up;
        grant = g;
        credential = credentialOf(check.certificate);
        signingIn = false;
        ctx.accept();
        deps.log(`${outer.identity.email} → ${login}@${g.host.name} (${connectionId})`);
      },
      (error: unknown) => {
        signingIn = false;
        const message = (error as Error).message;
        deps.log(`refused ${outer.identity.email} → ${login}@${outer.host.name}: ${message}`);
        sayBeforeRefusing(client, message);
        ctx.reject([]);
      },
    );
  });

  client.on('ready', () => {
    signedIn();
    const up = upstream!;
    const g = grant!;
    const endConnection = (reason: string) => {
      // Each session says why and closes its channel first (the client then shows the reason
      // and hangs up by itself); the connection goes after that, or after a second at most.
      const closed = Promise.all([...sessionEnds].map((end) => end(reason)));
      const waited = new Promise((resolve) => setTimeout(resolve, 1000).unref());
      void Promise.race([closed, waited]).then(() => {
        up.end();
        client.end();
      });
    };
    endOnTimeout = endConnection;
    untrack.push(deps.live.add(outer.identity.userId, endConnection, credential), outer.carry(endConnection));
    const base = {
      connectionId,
      user: { id: outer.identity.userId, email: outer.identity.email },
      login: g.login,
      host: { name: g.host.name, address: g.host.address },
      clientAddress: outer.clientAddress,
      upstreamSerial: g.upstreamSerial,
    };
    client.on('session', (acceptOpen, rejectOpen) => {
      const guarded = channels.guard(acceptOpen, rejectOpen);
      if (!guarded) return deps.log(`refused a session for ${outer.identity.email} on ${g.host.name}: ${deps.maxInnerChannels} channels open on one connection`);
      const session = guarded.accept();
      bridgeSession(session, {
        upstream: up,
        recorder: deps.recorder,
        permissions: g.permissions,
        base,
        forceCommand: outer.forceCommand,
        onTransfer: (sessionId, transfer) => {
          void deps.audit
            .append({
              type: 'file.transfer',
              actor: { kind: 'user', id: outer.identity.userId, name: outer.identity.email },
              remote: outer.clientAddress,
              details: { sessionId, connectionId, login: g.login, host: g.host.name, ...transfer },
            })
            .catch((error: unknown) => deps.log(`could not audit a file transfer: ${(error as Error).message}`));
        },
        track: (sessionId, end) => {
          sessionEnds.add(end);
          const forget = deps.live.addSession(sessionId, endConnection);
          return () => {
            sessionEnds.delete(end);
            forget();
          };
        },
        log: deps.log,
      });
    });
    client.on('tcpip', (acceptOpen, rejectOpen, info) => {
      const guarded = channels.guard(acceptOpen, rejectOpen);
      if (!guarded) return deps.log(`refused a forward for ${outer.identity.email} on ${g.host.name}: ${deps.maxInnerChannels} channels open on one connection`);
      bridgeLocalForward(guarded.accept, () => guarded.reject(), info, { upstream: up, grant: g, outer, connectionId, audit: deps.audit, log: deps.log });
    });
    bridgeRemoteForwards(client, { upstream: up, grant: g, outer, connectionId, audit: deps.audit, log: deps.log });
    // The target's connection is gone: each session says so and closes its channel first
    // (OpenSSH drops output it has not shown yet when a disconnect arrives); the client then
    // hangs up by itself, or the connection ends a second later.
    up.on('close', () => setTimeout(() => client.end(), 1000).unref());
    up.on('error', (error) => deps.log(`upstream ${g.host.name}: ${error.message}`));
  });

  client.on('error', (error) => {
    if (!isClientTimeout(error)) return deps.log(`inner connection of ${outer.identity.email}: ${error.message}`);
    deps.log(`ended the connection of ${outer.identity.email} to ${outer.host.name}: ${deps.clientAlive.clientAliveCountMax} keepalives unanswered`);
    endOnTimeout?.(CLIENT_STOPPED_ANSWERING);
  });
  client.on('close', () => {
    closed = true;
    for (const u of untrack) u();
    (upstream as Client | null)?.end();
  });
}
