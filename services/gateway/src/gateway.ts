import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { AuditLog } from '@access/audit';
import { LOCKS_CHANNEL, type Db, type Listen } from '@access/db';
import type { SshPublicKey } from '@access/sshcert';
import type { GatewayCa } from './ca-client.ts';
import { handleNotice } from './gateway-notices.ts';
import { catchUpOnNotices } from './notice-catch-up.ts';
import { createConnectionAdmission } from './limits/connection-admission.ts';
import { createLiveConnections } from './live-connections.ts';
import { newGatewayId, startPresence } from './presence.ts';
import { clientAddressOf } from './proxy/client-address.ts';
import { DEFAULT_PROXY_HEADER_LIMITS, type ProxyHeaderLimits } from './proxy/proxy-header-reader.ts';
import { parseProxySources } from './proxy/proxy-sources.ts';
import { createPostgresRecorder } from './recording/postgres-recorder.ts';
import { endedSessions } from './recording/record-batch.ts';
import { openRecordSpool, processAlive } from './recording/record-spool.ts';
import { createRecordWriter } from './recording/record-writer.ts';
import type { SessionRecorder } from './recording/session-recorder.ts';
import { createTranscriber } from './recording/transcriber.ts';
import { createHostKeys, generateKeyPair } from './ssh/gateway-keys.ts';
import { serveOuterConnection } from './ssh/outer-connection.ts';

export interface GatewayConfig {
  /** Where engineers connect (`--ssh-addr`, default 127.0.0.1:3022). */
  sshAddr: { host: string; port: number };
  /** The names engineers dial the gateway by; its host certificate names them all. */
  names: readonly string[];
  /** Recordings are written at least this often (ms); a crash loses at most this much. */
  flushIntervalMs: number;
  /**
   * Where recordings and audit events wait while the database is unreachable (`<data dir>/spool`):
   * synced to disk, written to the database in order once it is back, and by the next start
   * if this process stops first.
   */
  spoolDir: string;
  /** The spool's size limit; past it (or with its disk full) sessions are ended and new ones refused until the database is back. */
  maxSpoolBytes: number;
  /** How often spooled batches are tried against the database again (ms). */
  spoolRetryMs: number;
  /** A database write not done in this long is spooled instead (ms). */
  writeTimeoutMs: number;
  /** Recorded bytes per session before only byte counts go on. */
  maxRecordingBytes: number;
  /** How long dialing a target may take (ms). */
  connectTimeoutMs: number;
  heartbeatMs: number;
  staleMs: number;
  /** The database is this process's alone (embedded): sessions of any earlier gateway were interrupted. */
  exclusiveDatabase: boolean;
  /** How often to look for ended sessions no gateway transcribed (ms); 0: only at start. */
  transcriptCatchUpMs: number;
  /**
   * Load balancers (addresses, CIDRs) whose connections start with a PROXY protocol header
   * naming the real client (`--proxy-protocol-from`); empty: off. Never read from anyone else.
   */
  proxyProtocolFrom: readonly string[];
  proxyHeader: ProxyHeaderLimits;
  /** A connection not signed in this long after it opened (ms) is dropped: idle or slow pre-auth peers hold no socket for long. So is a connection to a host inside one, counted from its channel's opening. */
  handshakeTimeoutMs: number;
  /** Refused sign-in attempts (not queries) a connection may make before it is dropped. */
  maxAuthFailures: number;
  /** New connections a second one client address may open, sustained (after the PROXY header: the engineer's address). */
  connectionRate: number;
  /** New connections one client address may open at once before `connectionRate` applies. */
  connectionBurst: number;
  /** Connections of one client address open at once that have not signed in yet (sshd's PerSourceMaxStartups). */
  maxUnauthenticatedPerAddress: number;
  /** Connections from all addresses not signed in yet (sshd's MaxStartups); past it new ones are closed at once. */
  maxUnauthenticatedTotal: number;
  /** Channels open at once on an engineer's connection to the gateway: hosts reached through it, mostly. */
  maxOuterChannels: number;
  /** Channels open at once on one connection to a host: sessions and forwarded connections. */
  maxInnerChannels: number;
  /** Silence from a signed-in client (ms) after which the gateway asks whether it is there (sshd's ClientAliveInterval). */
  clientAliveIntervalMs: number;
  /** Unanswered asks after which the connection and its sessions end: "the client stopped answering". */
  clientAliveCountMax: number;
}

export const DEFAULT_GATEWAY_CONFIG: Omit<GatewayConfig, 'sshAddr' | 'names' | 'exclusiveDatabase' | 'spoolDir'> = {
  flushIntervalMs: 1000,
  maxSpoolBytes: 1024 * 1024 * 1024,
  spoolRetryMs: 1000,
  writeTimeoutMs: 5000,
  maxRecordingBytes: 64 * 1024 * 1024,
  connectTimeoutMs: 10_000,
  heartbeatMs: 5000,
  staleMs: 20_000,
  transcriptCatchUpMs: 60_000,
  proxyProtocolFrom: [],
  proxyHeader: DEFAULT_PROXY_HEADER_LIMITS,
  handshakeTimeoutMs: 20_000,
  maxAuthFailures: 10,
  connectionRate: 20,
  connectionBurst: 40,
  maxUnauthenticatedPerAddress: 10,
  maxUnauthenticatedTotal: 100,
  maxOuterChannels: 64,
  maxInnerChannels: 128,
  clientAliveIntervalMs: 15_000,
  clientAliveCountMax: 3,
};

/** A session ended this long ago (ms) without a transcript was left by a gateway that stopped first. */
const TRANSCRIPT_LEFTOVER_MS = 120_000;


export interface GatewayDeps {
  config: GatewayConfig;
  ca: GatewayCa;
  db: Db;
  audit: AuditLog;
  /** Notices from the CAs (locks, revocations, terminates), with the database's reconnects. */
  listen: Listen;
  clock: () => Date;
  log: (line: string) => void;
  /** Where recordings go; PostgreSQL (the same database) when not given. */
  recorder?: SessionRecorder;
}

export interface Gateway {
  readonly gatewayId: string;
  address(): { host: string; port: number };
  liveConnections(): number;
  /** TCP connections open now, signed in or not. */
  openSockets(): number;
  /** Resolves once no transcript is waiting or being written. */
  transcriptsIdle(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the recording gateway: engineers' SSH in, per-person SSH out, every session recorded. */
export async function startGateway(deps: GatewayDeps): Promise<Gateway> {
  const { config, ca, db, audit, clock, log } = deps;
  const proxySources = parseProxySources(config.proxyProtocolFrom);
  let userCaKeys: SshPublicKey[] = await ca.trustedKeys('user');
  let hostCaKeys: SshPublicKey[] = await ca.trustedKeys('host');
  // Rotated CA keys reach the gateway within a minute.
  const refresh = setInterval(() => {
    Promise.all([ca.trustedKeys('user'), ca.trustedKeys('host')]).then(
      ([u, h]) => ((userCaKeys = u), (hostCaKeys = h)),
      (error: unknown) => log(`could not refresh the CA keys: ${(error as Error).message}`),
    );
  }, 60_000);
  refresh.unref();

  // Transcripts are made here, after a session's end is committed, one at a time in the
  // background (recording/transcriber.ts): the sessions' own path never waits for one.
  const transcriber = createTranscriber({
    db,
    clock,
    log,
    catchUpMs: config.transcriptCatchUpMs,
    leftoverAfterMs: TRANSCRIPT_LEFTOVER_MS,
  });
  const gatewayId = newGatewayId();
  // Recordings the last process left in the spool (stopped while the database was away)
  // are written before this one sweeps for interrupted sessions: a session that ended
  // while the database was away is then ended, not interrupted.
  const live = createLiveConnections();
  const writer = createRecordWriter({
    db,
    audit,
    spool: openRecordSpool({ dir: config.spoolDir, id: gatewayId, pid: process.pid, maxBytes: config.maxSpoolBytes }),
    clock,
    log,
    retryMs: config.spoolRetryMs,
    writeTimeoutMs: config.writeTimeoutMs,
    onWritten: (batch) => endedSessions(batch).forEach(transcriber.enqueue),
    onUnrecordable: (reason) => live.endAll(reason),
  });
  await writer.recover(config.spoolDir, { pid: process.pid }, processAlive);
  const presence = await startPresence({
    gatewayId,
    db,
    audit,
    clock,
    address: `${config.sshAddr.host}:${config.sshAddr.port}`,
    heartbeatMs: config.heartbeatMs,
    staleMs: config.staleMs,
    exclusive: config.exclusiveDatabase,
    onError: (error) => log(`gateway heartbeat failed: ${(error as Error).message}`),
    onInterrupted: (ids) => ids.forEach(transcriber.enqueue),
  });
  void transcriber.catchUp().catch((error: unknown) => log(`could not look for sessions to transcribe: ${(error as Error).message}`));
  const recorder =
    deps.recorder ??
    createPostgresRecorder({
      writer,
      clock,
      gatewayId,
      flushIntervalMs: config.flushIntervalMs,
      maxRecordingBytes: config.maxRecordingBytes,
      onError: (error) => log(`recording flush failed: ${(error as Error).message}`),
    });
  const hostKeys = createHostKeys(ca, generateKeyPair('access gateway host key'), clock);
  const upstreamKey = generateKeyPair('access gateway upstream key');
  // Fetch the gateway's own certificate now: a CA problem shows at start, not at the first ssh.
  await hostKeys.forNames(config.names);

  // Locks, revocations and terminates made through any CA instance reach every gateway.
  const unlisten = await deps.listen(LOCKS_CHANNEL, (payload) => handleNotice(payload, live, log), {
    // Notices sent while the connection was down are lost: read what they would have said.
    onReconnect: () => void catchUpOnNotices(db, live, log).catch((error: unknown) => log(`could not check locks and revocations after reconnecting: ${(error as Error).message}`)),
  });

  const innerDeps = {
    ca,
    // The gateway's own events (refusals, file transfers, port forwards) are spooled like recordings.
    audit: writer,
    recorder,
    live,
    hostKeys,
    upstreamKey,
    userCaKeys: () => userCaKeys,
    hostCaKeys: () => hostCaKeys,
    clock,
    connectTimeoutMs: config.connectTimeoutMs,
    handshakeTimeoutMs: config.handshakeTimeoutMs,
    log,
    names: config.names,
    maxAuthFailures: config.maxAuthFailures,
  };
  const sockets = new Set<Socket>();
  const admission = createConnectionAdmission({
    connectionRate: config.connectionRate,
    connectionBurst: config.connectionBurst,
    maxUnauthenticated: config.maxUnauthenticatedPerAddress,
    maxUnauthenticatedTotal: config.maxUnauthenticatedTotal,
    now: () => performance.now(),
    log,
  });
  const connectionDeps = {
    ...innerDeps,
    maxOuterChannels: config.maxOuterChannels,
    maxInnerChannels: config.maxInnerChannels,
    clientAlive: { clientAliveIntervalMs: config.clientAliveIntervalMs, clientAliveCountMax: config.clientAliveCountMax },
  };
  const server: NetServer = createServer((socket) => {
    sockets.add(socket);
    // Counted from accept, so a slow PROXY header or an idle peer is covered too; cleared once signed in.
    const handshake = setTimeout(() => {
      log(`dropped a connection from ${socket.remoteAddress ?? 'an unknown peer'}: not signed in within ${config.handshakeTimeoutMs} ms`);
      socket.destroy();
    }, config.handshakeTimeoutMs);
    socket.on('close', () => {
      clearTimeout(handshake);
      sockets.delete(socket);
    });
    socket.on('error', () => undefined);
    clientAddressOf(socket, proxySources, config.proxyHeader)
      .then((clientAddress) => {
        // Gone while its PROXY header was read: its close was heard already and would free no place.
        if (socket.destroyed) return;
        // Before any SSH work: a refused connection costs a socket for a moment, nothing more.
        const admitted = admission.admit(clientAddress);
        if (!admitted.admitted) return void socket.destroy();
        socket.once('close', admitted.admission.closed);
        return serveOuterConnection(socket, clientAddress, connectionDeps, () => {
          clearTimeout(handshake);
          admitted.admission.signedIn();
        });
      })
      .catch((error: unknown) => {
        log(`could not serve a connection from ${socket.remoteAddress ?? 'an unknown peer'}: ${(error as Error).message}`);
        socket.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.sshAddr.port, config.sshAddr.host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  return {
    gatewayId: presence.gatewayId,
    address() {
      const a = server.address() as AddressInfo;
      return { host: a.address, port: a.port };
    },
    liveConnections: () => live.count(),
    openSockets: () => sockets.size,
    transcriptsIdle: () => transcriber.idle(),
    async close() {
      clearInterval(refresh);
      server.close();
      live.endAll('the gateway is stopping');
      await new Promise((r) => setTimeout(r, sockets.size > 0 ? 500 : 0));
      for (const s of sockets) s.destroy();
      // Give the sessions' own endings a moment to record themselves.
      await new Promise((r) => setTimeout(r, sockets.size > 0 ? 200 : 0));
      await recorder.close();
      await writer.close();
      await transcriber.close();
      await presence.stop();
      await unlisten();
    },
  };
}
