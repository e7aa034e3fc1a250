import { isUtf8 } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import type { Client, ClientChannel, PseudoTtyInfo, ServerChannel, Session, TerminalModes } from 'ssh2';
import type { RolePermissions, SessionKind } from '@access/db';
import { createInputRedactor, type RedactionVerdict } from '@access/recording';
import type { RecordingSession, SessionRecorder, SessionStart } from '../recording/session-recorder.ts';
import { createSftpTracker } from '../recording/sftp-tracker.ts';
import { createScpTracker, parseScpCommand } from '../recording/scp-command.ts';
import type { FileTransfer } from '../recording/sftp-tracker.ts';
import { pump } from './stream-pump.ts';

export interface BridgeContext {
  upstream: Client;
  recorder: SessionRecorder;
  permissions: RolePermissions;
  /** The session metadata every channel of this connection shares. */
  base: Omit<SessionStart, 'kind' | 'command' | 'pty'>;
  /** A certificate's force-command: what runs, whatever the engineer asked for. */
  forceCommand: string | null;
  onTransfer(sessionId: string, transfer: FileTransfer): void;
  /**
   * Registers a way to end this recorded session from outside (locks, terminate, shutdown);
   * returns the unregister. The end resolves once the reason was handed to the channel.
   */
  track(sessionId: string, end: (reason: string) => Promise<void>): () => void;
  log(line: string): void;
}

interface PtyRequest {
  term: string;
  cols: number;
  rows: number;
  width: number;
  height: number;
  modes: TerminalModes;
}

const SFTP_OR_SCP = (command: string | null) => command !== null && parseScpCommand(command) !== null;

/**
 * One session channel, engineer side to target side: pty, env, window changes and signals
 * are passed on; shell, exec or subsystem opens the same on the target; data flows both ways
 * with back-pressure, is recorded, and exit status, EOF and close come back in OpenSSH's order.
 */
export function bridgeSession(session: Session, ctx: BridgeContext): void {
  let pty: PtyRequest | null = null;
  const env: Record<string, string> = {};
  let started = false;
  let upstreamChannel: ClientChannel | null = null;
  const pendingSignals: string[] = [];

  session.on('pty', (accept, reject, info: PseudoTtyInfo) => {
    if (!ctx.permissions.pty) return reject?.();
    pty = { term: info.term || 'xterm', cols: info.cols || 80, rows: info.rows || 24, width: info.width, height: info.height, modes: info.modes };
    accept?.();
  });
  session.on('env', (accept, reject, info) => {
    // OpenSSH targets accept only what their AcceptEnv allows; pass them on and let the target decide.
    if (Object.keys(env).length >= 64 || info.key.length > 256 || info.val.length > 4096) return reject?.();
    env[info.key] = info.val;
    accept?.();
  });
  session.on('window-change', (accept, _reject, info) => {
    accept?.();
    if (pty) Object.assign(pty, { cols: info.cols, rows: info.rows });
    upstreamChannel?.setWindow(info.rows, info.cols, info.height, info.width);
    recording?.event('r', `${info.cols}x${info.rows}`);
  });
  session.on('signal', (accept, _reject, info) => {
    accept?.();
    if (upstreamChannel) upstreamChannel.signal(info.name);
    else pendingSignals.push(info.name);
  });
  session.on('x11', (_accept, reject) => reject?.());
  session.on('auth-agent', (_accept, reject) => reject?.());

  let recording: RecordingSession | null = null;

  function start(kind: SessionKind, command: string | null, accept: () => ServerChannel, reject: () => void): void {
    if (started) return reject();
    started = true;
    const effective = ctx.forceCommand ?? command;
    const effectiveKind: SessionKind = ctx.forceCommand !== null ? 'exec' : kind;
    const isTransfer = (effectiveKind === 'subsystem' && effective === 'sftp') || (effectiveKind === 'exec' && SFTP_OR_SCP(effective));
    if (isTransfer && !ctx.permissions.fileTransfer) {
      ctx.log(`refused a file transfer for ${ctx.base.user.email}: no role allows it`);
      return reject();
    }
    const open = (cb: (err: Error | undefined, ch: ClientChannel) => void) => {
      if (effectiveKind === 'shell') {
        if (pty) ctx.upstream.shell(ptyWindow(pty), { env }, cb);
        else ctx.upstream.shell(false, { env }, cb);
      } else if (effectiveKind === 'exec') ctx.upstream.exec(effective ?? '', { env, ...(pty ? { pty: ptyWindow(pty) } : {}) }, cb);
      else ctx.upstream.subsys(effective ?? '', cb);
    };
    const startInfo: SessionStart = {
      ...ctx.base,
      kind: effectiveKind,
      command: effective,
      pty: pty ? { term: pty.term, cols: pty.cols, rows: pty.rows } : null,
    };
    const recordingReady = ctx.recorder.start(startInfo);
    open((err, channel) => {
      if (err) {
        ctx.log(`the target refused the ${effectiveKind}: ${err.message}`);
        void recordingReady.then((r) => r.end({ exitStatus: null, exitSignal: null, reason: `the target refused it: ${err.message}` })).catch(() => undefined);
        return reject();
      }
      // Exit status and close can come before the recording is ready (`ssh host true`):
      // they are events, told once, so they are caught from the start.
      const early = watchEnd(channel);
      recordingReady.then(
        (r) => {
          recording = r;
          upstreamChannel = channel;
          const engineerChannel = accept();
          if (!engineerChannel) {
            channel.close();
            void r.end({ exitStatus: null, exitSignal: null, reason: 'the engineer went away' });
            return;
          }
          for (const name of pendingSignals) channel.signal(name);
          connect(r, channel, engineerChannel, effectiveKind, effective, early);
        },
        (error: unknown) => {
          // Without a recording there is no session: deny rather than carry it unrecorded.
          ctx.log(`could not start a recording, refused the session: ${(error as Error).message}`);
          channel.close();
          reject();
        },
      );
    });
  }

  session.on('shell', (accept, reject) => start('shell', null, accept, reject));
  session.on('exec', (accept, reject, info) => start('exec', info.command, accept, reject));
  session.on('subsystem', (accept, reject, info) => start('subsystem', info.name, accept, reject));

  function connect(r: RecordingSession, up: ClientChannel, down: ServerChannel, kind: SessionKind, command: string | null, early: UpstreamEnd): void {
    const scp = kind === 'exec' && command !== null ? parseScpCommand(command) : null;
    const sftp = kind === 'subsystem' && command === 'sftp' ? createSftpTracker((t) => ctx.onTransfer(r.id, t)) : null;
    const scpTracker = scp ? createScpTracker(scp.direction, (t) => ctx.onTransfer(r.id, t)) : null;
    const recordsContent = !sftp && !scpTracker;
    // Only a terminal has password prompts with echo off; exec stdin is data, recorded as is.
    const redactor = pty ? createInputRedactor() : null;
    const recordVerdict = (v: RedactionVerdict) => {
      if (v.marker) {
        r.event('m', v.marker);
        // Withheld from the recording, the secret still went to the target: bytes_in counts it.
        r.count('in', v.redactedBytes);
      }
      if (v.record) r.event('i', v.record);
    };
    const outText = new StringDecoder('utf8');
    const errText = new StringDecoder('utf8');
    const inText = new StringDecoder('utf8');

    // Without a terminal, a stream that turns out binary (`tar c . | ssh host tar x`,
    // `cat app.tgz`) is counted from then on, not decoded: asciicast holds text, and decoding
    // binary is most of the gateway's work on a bulk transfer.
    const binary = { in: false, out: false, err: false };
    const asText = (stream: keyof typeof binary, chunk: Buffer): boolean => {
      if (!r.recordsContent || binary[stream]) return false;
      if (pty || !looksBinary(chunk)) return true;
      binary[stream] = true;
      r.event('m', `binary ${stream === 'in' ? 'input' : stream === 'out' ? 'output' : 'stderr'}: from here on only its byte count is recorded`);
      return false;
    };

    pump(down, up, (chunk) => {
      if (sftp) sftp.fromClient(chunk);
      if (scpTracker) scpTracker.fromClient(chunk);
      if (!recordsContent || !asText('in', chunk)) return r.count('in', chunk.length);
      const text = inText.write(chunk);
      if (!redactor) return r.event('i', text, chunk.length);
      recordVerdict(redactor.input(text));
    });
    pump(up, down, (chunk) => {
      if (sftp) sftp.fromServer(chunk);
      if (scpTracker) scpTracker.fromServer(chunk);
      if (!recordsContent || !asText('out', chunk)) return r.count('out', chunk.length);
      const text = outText.write(chunk);
      if (redactor) recordVerdict(redactor.output(text));
      r.event('o', text, chunk.length);
    });
    pump(up.stderr, down.stderr, (chunk) => {
      if (!recordsContent || !asText('err', chunk)) return r.count('out', chunk.length);
      r.event('e', errText.write(chunk), chunk.length);
    });

    const exit = early.exit;
    let endedBy: string | null = null;
    // The engineer's EOF goes on to the target; the target's EOF, exit status and close come
    // back only after all of its output was passed on.
    down.on('end', () => up.end());
    let upClosed = false;
    let outEnded = false;
    let errEnded = false;
    const maybeFinish = () => {
      if (upClosed && outEnded && errEnded) finish();
    };
    up.once('end', () => {
      outEnded = true;
      maybeFinish();
    });
    up.stderr.once('end', () => {
      errEnded = true;
      maybeFinish();
    });

    /** One line on the engineer's terminal (stderr without a pty), kept in the recording as a marker. */
    const tell = (reason: string, marker: string) => {
      if (down.writable) (pty ? down : down.stderr).write(`\r\naccess: ${reason}\r\n`);
      r.event('m', marker);
    };

    /** Set once the gateway ends it (a lock, a terminate, the spool full, …): whatever the target reports after that, the engineer's ssh exits 255. */
    let cutByGateway: Promise<void> | null = null;
    const untrack = ctx.track(r.id, (reason) => {
      // Told twice (the outer and the inner connection both gave up on a silent client, or a
      // lock came with a terminate): the first reason stands, said and recorded once.
      if (cutByGateway) return cutByGateway;
      endedBy = reason;
      // Resolves when the engineer's channel has closed: OpenSSH shows what came before a
      // channel close, but drops output still unread when a disconnect arrives.
      cutByGateway = new Promise<void>((resolve) => {
        if (finished) return resolve();
        down.once('close', () => resolve());
      });
      tell(reason, `ended by the gateway: ${reason}`);
      up.close();
      return cutByGateway;
    });

    // The target's side of the connection went away under the session (its sshd killed, the
    // host gone): no exit status will come. Said when the target's end of the connection is
    // seen, before the channel is torn down, so the line goes out ahead of the disconnect.
    const targetGone = () => {
      if (finished || endedBy !== null || exit.status !== null || exit.signal !== null) return;
      endedBy = `the target ${ctx.base.host.name} closed the connection`;
      tell(endedBy, endedBy);
    };
    ctx.upstream.once('end', targetGone);
    ctx.upstream.prependOnceListener('close', targetGone);

    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      untrack();
      ctx.upstream.off('end', targetGone);
      ctx.upstream.off('close', targetGone);
      if (redactor) recordVerdict(redactor.end());
      sftp?.end();
      scpTracker?.end();
      const send = () => {
        if (down.writable) {
          if (cutByGateway !== null) down.exit(255);
          else if (exit.signal) down.exit(exit.signal, exit.core, exit.message);
          else if (exit.status !== null) down.exit(exit.status);
          else if (endedBy) down.exit(255);
          down.end();
        }
        down.close();
      };
      // The exit status goes after all output. 'drain' comes only after a write that returned
      // false, and output can wait for the engineer's window below the high-water mark: an
      // empty write's callback runs once everything written before it has gone out.
      const pending = [down, down.stderr].filter((w) => w.writableLength > 0);
      let waiting = pending.length;
      if (waiting === 0) send();
      for (const w of pending) {
        w.write(Buffer.alloc(0), () => {
          if (--waiting === 0) send();
        });
      }
      void r
        .end({ exitStatus: exit.status, exitSignal: exit.signal, reason: endedBy })
        .catch((error: unknown) => ctx.log(`could not end the recording of ${r.id}: ${(error as Error).message}`));
    };
    early.onClose(() => {
      upClosed = true;
      maybeFinish();
    });
    down.once('close', () => {
      if (finished) return;
      // The engineer went away: drop what the target still sends and close its side.
      endedBy ??= 'the engineer disconnected';
      up.resume();
      up.stderr.resume();
      up.close();
    });
  }
}

/** A NUL byte, or bytes that are not UTF-8 (beyond a character cut at the chunk's end). */
function looksBinary(chunk: Buffer): boolean {
  if (chunk.includes(0)) return true;
  if (isUtf8(chunk)) return false;
  for (let cut = 1; cut <= 3 && cut < chunk.length; cut++) if (isUtf8(chunk.subarray(0, chunk.length - cut))) return false;
  return true;
}

interface UpstreamEnd {
  /** Filled in when the target reports how the command ended. */
  exit: { status: number | null; signal: string | null; core: boolean; message: string };
  /** Runs `f` once the target closed the channel (at once if it already has). */
  onClose(f: () => void): void;
}

function watchEnd(up: ClientChannel): UpstreamEnd {
  const end: UpstreamEnd & { closed: boolean; waiting: Array<() => void> } = {
    exit: { status: null, signal: null, core: false, message: '' },
    closed: false,
    waiting: [],
    onClose(f) {
      if (end.closed) f();
      else end.waiting.push(f);
    },
  };
  up.on('exit', (code: number | null, signal?: string, core?: boolean, message?: string) => {
    // ssh2 reports `SIGTERM`; sessions keep the SSH name (`TERM`, RFC 4254 6.10), as OpenSSH sends it.
    Object.assign(end.exit, { status: typeof code === 'number' ? code : null, signal: signal?.replace(/^SIG/, '') ?? null, core: core ?? false, message: message ?? '' });
  });
  up.once('close', () => {
    end.closed = true;
    for (const f of end.waiting.splice(0)) f();
  });
  return end;
}

function ptyWindow(pty: PtyRequest) {
  return { term: pty.term, cols: pty.cols, rows: pty.rows, width: pty.width, height: pty.height, modes: pty.modes };
}
