import type { Socket } from 'node:net';
import ssh2, { type AuthContext, type AuthenticationType, type Connection, type ServerChannel } from 'ssh2';
import type { EngineerIdentity } from '../ca-client.ts';
import { CIPHERS, KEX, MACS } from './algorithms.ts';
import { sayBeforeRefusing } from './auth-refusal.ts';
import { checkCertificateAuth } from './certificate-auth.ts';
import { serveInnerConnection, type InnerDeps } from './inner-connection.ts';
import { createChannelLimit } from '../limits/channel-limit.ts';
import { CLIENT_STOPPED_ANSWERING, isClientTimeout, keepaliveOptions } from '../limits/client-alive.ts';
import { credentialOf } from '../revocation-match.ts';

/** How long an ended outer connection stays open for its inner connections' last words (a loaded machine needed more than 300 ms). */
const OUTER_END_GRACE_MS = 1500;

export interface OuterDeps extends InnerDeps {
  /** The names engineers dial the gateway by; its host certificate names them. */
  names: readonly string[];
  /** Refused sign-in attempts (not queries) before the connection is dropped; ssh2 sets no limit of its own. */
  maxAuthFailures: number;
  /** Channels (hosts reached, mostly) an engineer's connection may have open at once. */
  maxOuterChannels: number;
}

const GATEWAY_HELP = [
  'This is the access gateway: it carries ssh connections to hosts, it has no shell of its own.',
  'Reach a host through it with "ssh -J <gateway> <login>@<host>", or run "access login" and then "ssh <host>".',
  '',
].join('\r\n');

/**
 * One engineer's TCP connection: the outer SSH connection, authenticated with their user
 * certificate. `clientAddress` is the engineer's (the peer's, or what a trusted load balancer's
 * PROXY header said): audit events, session rows and the certificate's source-address use it. It offers nothing but direct-tcpip channels to enrolled hosts, each of which
 * the gateway terminates itself.
 */
export async function serveOuterConnection(socket: Socket, clientAddress: string, deps: OuterDeps, onSignedIn: () => void = () => undefined): Promise<void> {
  socket.setNoDelay(true);
  const hostKey = await deps.hostKeys.forNames(deps.names);
  const server = new ssh2.Server({ hostKeys: [hostKey], algorithms: { cipher: CIPHERS, kex: KEX, hmac: MACS }, ...keepaliveOptions(deps.clientAlive) } as never);
  server.on('connection', (client: Connection) => handle(client, socket, clientAddress, deps, onSignedIn));
  server.injectSocket(socket);
}

function handle(client: Connection, socket: Socket, clientAddress: string, deps: OuterDeps, onSignedIn: () => void): void {
  let failures = 0;
  /** Refuses one attempt; past the limit the connection is dropped, as sshd's MaxAuthTries does. */
  const refuse = (ctx: AuthContext, methods: AuthenticationType[]) => {
    ctx.reject(methods);
    if (++failures < deps.maxAuthFailures) return;
    deps.log(`dropped a connection from ${clientAddress}: ${failures} refused sign-in attempts`);
    client.end();
  };
  let identity: EngineerIdentity | null = null;
  let forceCommand: string | null = null;
  let credential: ReturnType<typeof credentialOf> | undefined;
  let checking = false;
  let untrack: (() => void) | null = null;
  const channels = createChannelLimit(deps.maxOuterChannels);
  /** The inner connections this one carries, by their ending. */
  const carried = new Set<(reason: string) => void>();
  const carry = (end: (reason: string) => void) => {
    carried.add(end);
    return () => void carried.delete(end);
  };

  client.on('authentication', (ctx) => {
    if (ctx.method !== 'publickey' || checking || identity) return refuse(ctx, ['publickey']);
    const check = checkCertificateAuth(ctx, { trustedCaKeys: deps.userCaKeys(), now: deps.clock(), clientAddress });
    if (check.kind === 'query') return ctx.accept();
    if (check.kind === 'refused') {
      deps.log(`refused a sign-in from ${clientAddress}: ${check.reason}`);
      return refuse(ctx, ['publickey']);
    }
    checking = true;
    deps.ca.identify(check.certificate).then(
      (found) => {
        identity = found;
        forceCommand = check.certificate.criticalOptions['force-command'] ?? null;
        credential = credentialOf(check.certificate);
        ctx.accept();
      },
      (error: unknown) => {
        checking = false;
        const message = (error as Error).message;
        deps.log(`refused certificate serial ${check.certificate.serial} from ${clientAddress}: ${message}`);
        void deps.audit
          .append({
            type: 'session.denied',
            actor: { kind: 'anonymous', id: check.certificate.keyId.slice(0, 256) },
            remote: clientAddress,
            details: { code: (error as { code?: string }).code ?? 'ERR_DENIED', reason: message, serial: check.certificate.serial.toString() },
          })
          .catch(() => undefined);
        sayBeforeRefusing(client, message);
        refuse(ctx, []);
      },
    );
  });

  client.on('ready', () => {
    onSignedIn();
    const who = identity!;
    // The inner connections it carries end too, each writing why to the engineer's terminal
    // first; the outer one waits so those words are not cut off. A client whose inner
    // connections closed hangs up by itself before this fires.
    untrack = deps.live.add(who.userId, () => setTimeout(() => client.end(), OUTER_END_GRACE_MS).unref(), credential);

    client.on('tcpip', (acceptOpen, rejectOpen, info) => {
      const guarded = channels.guard(acceptOpen, rejectOpen);
      if (!guarded) return deps.log(`refused a channel to ${info.destIP} for ${who.email}: ${deps.maxOuterChannels} channels open on one connection`);
      const { accept, reject } = guarded;
      const destination = info.destIP;
      deps.ca.findHost(destination).then(
        (host) => {
          if (!host) {
            deps.log(`${who.email} asked for ${destination}, which is not an enrolled host`);
            void deps.audit
              .append({
                type: 'session.denied',
                actor: { kind: 'user', id: who.userId, name: who.email },
                remote: clientAddress,
                details: { code: 'ERR_UNKNOWN_HOST', reason: `"${destination}" is not an enrolled host`, destination: `${destination}:${info.destPort}` },
              })
              .catch(() => undefined);
            return rejectWith(reject, `"${destination}" is not an enrolled host; "access ls" lists the hosts you can reach`);
          }
          const enrolledPort = Number(/:(\d+)$/.exec(host.address)?.[1] ?? 22);
          if (info.destPort !== 22 && info.destPort !== enrolledPort) {
            // The jump carries ssh only; anything else is a port forward inside the session.
            return rejectWith(reject, `the gateway carries only ssh to ${host.name} (port 22); forward other ports inside the session with ssh -L`);
          }
          const stream = accept();
          serveInnerConnection(stream, { identity: who, forceCommand, clientAddress, host, destination, carry }, deps).catch((error: unknown) => {
            deps.log(`could not serve ${host.name} for ${who.email}: ${(error as Error).message}`);
            stream.close();
          });
        },
        (error: unknown) => {
          deps.log(`host lookup failed: ${(error as Error).message}`);
          rejectWith(reject, 'the gateway could not look the host up; try again');
        },
      );
    });

    client.on('session', (acceptOpen, rejectOpen) => {
      const guarded = channels.guard(acceptOpen, rejectOpen);
      if (!guarded) return;
      const session = guarded.accept();
      const explain = (acceptChannel: () => ServerChannel) => {
        const channel = acceptChannel();
        channel.stderr.write(GATEWAY_HELP);
        channel.exit(1);
        channel.end();
      };
      session.on('pty', (ok) => ok?.());
      session.on('shell', (ok) => explain(ok));
      session.on('exec', (ok) => explain(ok));
      session.on('subsystem', (_ok, no) => no?.());
    });
    client.on('request', (_accept, reject) => reject?.());
  });

  client.on('error', (error) => {
    if (!isClientTimeout(error)) return deps.log(`connection from ${clientAddress}: ${error.message}`);
    // ssh2 would only half-close, which a half-open peer never completes: its sessions end
    // with the reason, then the socket goes at once.
    deps.log(`dropped the connection of ${identity?.email ?? 'a client'} from ${clientAddress}: ${deps.clientAlive.clientAliveCountMax} keepalives unanswered`);
    for (const end of [...carried]) end(CLIENT_STOPPED_ANSWERING);
    socket.destroy();
  });
  client.on('close', () => untrack?.());
}

/** Refuses a channel with a description the OpenSSH client prints ("open failed: … : <why>"). */
function rejectWith(reject: (reason?: number, description?: string) => void, why: string): void {
  reject(1, why);
}
