import {
  capPath,
  decodePath,
  TransferTrackingError,
  type FileTransferListener,
  type TransferTracker,
  type TransferTrackerOptions,
} from './file-transfer.ts';
import { LineReader } from './line-reader.ts';
import { TrackerOutbox } from './tracker-outbox.ts';

/** OpenSSH's scp reads records into a 2048-byte buffer; this leaves room for other clients. */
const MAX_LINE = 8192;
/** Source bytes kept while a record waits for its answer; a real source sends none then. */
const MAX_HELD = 64 * 1024;
const MAX_UNANSWERED = 64;
const MAX_DEPTH = 1024;
const FILE_RECORD = /^([CD])[0-7]{4} (\d+) (.+)$/s;
const TIME_RECORD = /^T\d+ \d+ \d+ \d+$/;

/** What a response from the sink answers, oldest first. */
type Awaiting =
  | { kind: 'ready' | 'time' | 'end-dir' | 'file-done' }
  | { kind: 'file'; path: string; size: number }
  | { kind: 'dir'; name: string };

/**
 * Follows the legacy scp (rcp) protocol on the channel of an exec request that
 * `parseScpCommand` recognised, and reports each file record (`C<mode> <size> <name>`) once
 * its data has gone by: `upload` or `download` after `direction`, with the record's size.
 * `path` is the name as the stream carries it, inside the directories (`D` ... `E`) it was
 * sent in (`dir/sub/file`): scp sends names relative to the command's paths, which the exec
 * event already holds. A file the receiving side refused (a non-zero answer to its record)
 * moved nothing and is not reported; one cut off by `end()` is reported with the bytes seen.
 * Directories and times are followed but not reported.
 *
 * The sending side ("source", the client for an upload) writes records and data; the
 * receiving side ("sink") answers each record with `\0` or `\1`/`\2` and a message line.
 * Whether data follows a record depends on that answer, so source bytes that arrive before
 * it (which a real scp never sends) are held, within `MAX_HELD`.
 */
export function createScpTracker(
  direction: 'upload' | 'download',
  onTransfer: FileTransferListener,
  options: TransferTrackerOptions = {},
): TransferTracker {
  return new ScpTracker(direction, new TrackerOutbox(onTransfer, options.onError));
}

class ScpTracker implements TransferTracker {
  private readonly sourceLines = new LineReader(MAX_LINE);
  private readonly sinkLines = new LineReader(MAX_LINE);
  private phase: 'record' | 'await' | 'data' | 'data-status' = 'record';
  private readonly awaiting: Awaiting[] = [{ kind: 'ready' }];
  private readonly dirs: string[] = [];
  private file = { path: '', size: 0, seen: 0 };
  private held: Buffer[] = [];
  private heldBytes = 0;
  private sinkMessage = false;
  private stopped = false;

  constructor(
    private readonly direction: 'upload' | 'download',
    private readonly outbox: TrackerOutbox,
  ) {}

  get degraded(): boolean {
    return this.outbox.degraded;
  }

  fromClient(chunk: Buffer): void {
    this.feed(chunk, this.direction === 'upload' ? 'source' : 'sink');
  }

  fromServer(chunk: Buffer): void {
    this.feed(chunk, this.direction === 'upload' ? 'sink' : 'source');
  }

  end(): void {
    if (!this.stopped) this.stop();
    this.outbox.deliver();
  }

  private feed(chunk: Buffer, side: 'source' | 'sink'): void {
    if (this.stopped) return;
    try {
      if (side === 'source') this.fromSource(chunk);
      else this.fromSink(chunk);
    } catch (error) {
      this.outbox.report(
        error instanceof TransferTrackingError
          ? error
          : new TransferTrackingError('ERR_TRANSFER_MALFORMED', 'scp tracking failed', { cause: error }),
      );
      this.stop();
    }
    this.outbox.deliver();
  }

  private stop(): void {
    this.stopped = true;
    if (this.phase === 'data') this.reportFile(this.file.seen);
    this.held = [];
  }

  private fromSource(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.phase === 'await') {
        this.hold(chunk.subarray(at));
        return;
      }
      if (this.phase === 'data') {
        const n = Math.min(this.file.size - this.file.seen, chunk.length - at);
        this.file.seen += n;
        at += n;
        if (this.file.seen === this.file.size) this.endData();
      } else if (this.phase === 'data-status' && chunk[at] === 0) {
        at++;
        this.phase = 'record';
        this.expect({ kind: 'file-done' });
      } else {
        const read = this.sourceLines.read(chunk, at);
        at = read.at;
        if (read.line) this.onRecord(read.line);
      }
    }
  }

  private onRecord(line: Buffer): void {
    const afterData = this.phase === 'data-status';
    this.phase = 'record';
    if (line[0] === 1 || line[0] === 2) {
      // An error from the source. The sink answers one that stands for a file's status
      // (`\1` only: `\2` makes it exit); any other it just prints.
      if (afterData && line[0] === 1) this.expect({ kind: 'file-done' });
      return;
    }
    if (afterData) throw malformed('a record where the status after file data belongs');
    const text = line.toString('latin1'); // one char per byte, so offsets match `line`
    const record = FILE_RECORD.exec(text);
    if (record) {
      const name = decodePath(line.subarray(text.length - record[3]!.length));
      if (record[1] === 'D') {
        this.expect({ kind: 'dir', name });
      } else {
        const size = Number(record[2]);
        if (!Number.isSafeInteger(size)) throw malformed(`a file size of ${record[2]}`);
        this.expect({ kind: 'file', path: capPath([...this.dirs, name].join('/')), size });
      }
      this.phase = 'await';
    } else if (text === 'E') {
      if (this.dirs.pop() === undefined) throw malformed('an end of directory outside any');
      this.expect({ kind: 'end-dir' });
    } else if (TIME_RECORD.test(text)) {
      this.expect({ kind: 'time' });
    } else {
      throw malformed(`a record that starts with byte ${line[0]}`);
    }
  }

  private fromSink(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.sinkMessage) {
        const read = this.sinkLines.read(chunk, at);
        at = read.at;
        if (read.line) {
          this.sinkMessage = false;
          this.answer(false);
        }
        continue;
      }
      const byte = chunk[at++];
      if (byte === 0) this.answer(true);
      else if (byte === 1 || byte === 2) this.sinkMessage = true;
      else throw malformed(`an answer that starts with byte ${byte}`);
    }
  }

  private answer(ok: boolean): void {
    const answered = this.awaiting.shift();
    if (!answered) throw malformed('an answer to nothing');
    if (answered.kind === 'file') {
      this.phase = 'record';
      if (ok) {
        this.file = { path: answered.path, size: answered.size, seen: 0 };
        if (answered.size === 0) this.endData();
        else this.phase = 'data';
      }
    } else if (answered.kind === 'dir') {
      if (ok && this.dirs.push(answered.name) > MAX_DEPTH) throw malformed(`directories nested over ${MAX_DEPTH} deep`);
      this.phase = 'record';
    } else {
      return;
    }
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const chunk of held) this.fromSource(chunk);
  }

  private endData(): void {
    this.reportFile(this.file.size);
    this.phase = 'data-status';
  }

  private reportFile(bytes: number): void {
    this.outbox.transfer({ operation: this.direction, path: this.file.path, bytes, mode: 'scp' });
  }

  private expect(awaiting: Awaiting): void {
    if (this.awaiting.length >= MAX_UNANSWERED) throw tooMany(`${MAX_UNANSWERED} records unanswered`);
    this.awaiting.push(awaiting);
  }

  private hold(bytes: Buffer): void {
    this.heldBytes += bytes.length;
    if (this.heldBytes > MAX_HELD) throw tooMany(`${MAX_HELD} bytes sent ahead of an answer`);
    this.held.push(Buffer.from(bytes));
  }
}

function malformed(what: string): TransferTrackingError {
  return new TransferTrackingError('ERR_TRANSFER_MALFORMED', `scp stream has ${what}`);
}

function tooMany(what: string): TransferTrackingError {
  return new TransferTrackingError('ERR_TRANSFER_TOO_MANY_PENDING', `scp source has more than ${what}`);
}
