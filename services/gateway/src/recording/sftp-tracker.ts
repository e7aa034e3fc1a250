import {
  decodePath,
  TransferTrackingError,
  type FileTransfer,
  type FileTransferListener,
  type TransferTracker,
  type TransferTrackerOptions,
} from './file-transfer.ts';
import { SftpFields } from './sftp-fields.ts';
import { SftpPacketReader } from './sftp-packet-reader.ts';
import { TrackerOutbox } from './tracker-outbox.ts';

export type {
  FileTransfer,
  FileTransferListener,
  FileTransferMode,
  TransferTracker,
  TransferTrackerOptions,
  TransferTrackingErrorCode,
} from './file-transfer.ts';
export { TransferTrackingError } from './file-transfer.ts';

// SFTP version 3 (draft-ietf-secsh-filexfer-02), the only version OpenSSH speaks.
const FXP_INIT = 1;
const FXP_VERSION = 2;
const FXP_OPEN = 3;
const FXP_CLOSE = 4;
const FXP_READ = 5;
const FXP_WRITE = 6;
const FXP_REMOVE = 13;
const FXP_MKDIR = 14;
const FXP_RMDIR = 15;
const FXP_RENAME = 18;
const FXP_STATUS = 101;
const FXP_HANDLE = 102;
const FXP_DATA = 103;
const FXP_NAME = 104;
const FXP_ATTRS = 105;
const FXP_EXTENDED = 200;
const FXP_EXTENDED_REPLY = 201;
const FX_OK = 0;
/** pflags that can change the file: WRITE, APPEND, CREAT, TRUNC. */
const FXF_CHANGES_FILE = 0x02 | 0x04 | 0x08 | 0x10;
/** OpenSSH's rename with POSIX semantics; its sftp client uses it for `rename` when offered. */
const POSIX_RENAME = 'posix-rename@openssh.com';

/** OpenSSH's SFTP_MAX_MSG_LENGTH: its server refuses, and never sends, a longer packet. */
export const SFTP_MAX_PACKET_LENGTH = 256 * 1024;
const MAX_HANDLE_LENGTH = 256; // the draft's limit
const MAX_EXTENSION_NAME = 256;
const WRITE_HEAD = 4 + 4 + MAX_HANDLE_LENGTH + 8 + 4; // id, handle, offset, data length
const DATA_HEAD = 4 + 4; // id, data length
const STATUS_HEAD = 4 + 4; // id, status code
const ID_HEAD = 4;
/** OpenSSH keeps 64 requests in flight and a few handles open; these only bound a hostile peer. */
const MAX_IN_FLIGHT = 16_384;
const MAX_OPEN_FILES = 16_384;

export interface SftpTrackerOptions extends TransferTrackerOptions {
  /** Largest length field read; longer packets are reported and passed over. */
  maxPacketLength?: number;
}

interface OpenFile {
  path: string;
  pflags: number;
  read: number;
  written: number;
}

type Request =
  | { kind: 'open'; path: string; pflags: number }
  | { kind: 'read'; file: OpenFile }
  | { kind: 'close'; handle: string }
  | { kind: 'change'; transfer: FileTransfer };

/**
 * Follows an `sftp` subsystem channel and reports what it did to files:
 *
 * - A file handle (OPEN, answered by HANDLE) is reported when its CLOSE is answered, or at
 *   `end()` (or when tracking stops) if it never was: `download` with the bytes of the DATA
 *   replies to its READs, `upload` with the bytes of its WRITEs. A handle that moved bytes
 *   both ways is reported twice, download first, so neither count is lost; one that moved
 *   none is an `upload` of 0 bytes when opened with a flag that changes the file (WRITE,
 *   APPEND, CREAT, TRUNC: an empty file put there, or one truncated) and a `download` of 0
 *   bytes otherwise.
 * - REMOVE, RENAME (and `posix-rename@openssh.com`), MKDIR and RMDIR are reported when the
 *   server answers SSH_FX_OK; refused ones, and ones unanswered at `end()`, are not.
 *
 * Directory listings, stat and setstat, symlinks and other extensions are not reported.
 */
export function createSftpTracker(onTransfer: FileTransferListener, options: SftpTrackerOptions = {}): TransferTracker {
  return new SftpTracker(onTransfer, options);
}

class SftpTracker implements TransferTracker {
  private readonly outbox: TrackerOutbox;
  private readonly maxPacketLength: number;
  private readonly files = new Map<string, OpenFile>();
  private readonly requests = new Map<number, Request>();
  private readonly client = new SftpPacketReader(
    (type, length) => this.planClient(type, length),
    (type, length, head) => this.onClientPacket(type, length, head),
  );
  private readonly server = new SftpPacketReader(
    (type, length) => this.planServer(type, length),
    (type, length, head) => this.onServerPacket(type, length, head),
  );
  private clientStarted = false;
  private serverStarted = false;
  private stopped = false;

  constructor(onTransfer: FileTransferListener, options: SftpTrackerOptions) {
    this.outbox = new TrackerOutbox(onTransfer, options.onError);
    this.maxPacketLength = options.maxPacketLength ?? SFTP_MAX_PACKET_LENGTH;
  }

  get degraded(): boolean {
    return this.outbox.degraded;
  }

  fromClient(chunk: Buffer): void {
    this.feed(this.client, chunk);
  }

  fromServer(chunk: Buffer): void {
    this.feed(this.server, chunk);
  }

  end(): void {
    if (!this.stopped) this.closeAll();
    this.outbox.deliver();
  }

  private feed(reader: SftpPacketReader, chunk: Buffer): void {
    if (this.stopped) return;
    try {
      reader.push(chunk);
    } catch (error) {
      this.outbox.report(
        error instanceof TransferTrackingError
          ? error
          : new TransferTrackingError('ERR_TRANSFER_MALFORMED', 'SFTP tracking failed', { cause: error }),
      );
      this.closeAll();
    }
    this.outbox.deliver();
  }

  /** Stops tracking for good, reporting what the files still open have moved so far. */
  private closeAll(): void {
    this.stopped = true;
    for (const file of this.files.values()) this.reportFile(file);
    this.files.clear();
    this.requests.clear();
  }

  private planClient(type: number, bodyLength: number): number | null {
    if (!this.clientStarted) {
      if (type !== FXP_INIT) throw malformed(`the client's first packet is type ${type}, not SSH_FXP_INIT`);
      this.clientStarted = true;
    }
    const fits = this.checkLength('client', type, bodyLength);
    switch (type) {
      case FXP_WRITE:
        return WRITE_HEAD;
      case FXP_OPEN:
      case FXP_CLOSE:
      case FXP_READ:
      case FXP_REMOVE:
      case FXP_MKDIR:
      case FXP_RMDIR:
      case FXP_RENAME:
      case FXP_EXTENDED:
        return fits ? bodyLength : null;
      default:
        return null;
    }
  }

  private planServer(type: number, bodyLength: number): number | null {
    if (!this.serverStarted) {
      if (type !== FXP_VERSION) throw malformed(`the server's first packet is type ${type}, not SSH_FXP_VERSION`);
      this.serverStarted = true;
      return 4;
    }
    const fits = this.checkLength('server', type, bodyLength);
    switch (type) {
      case FXP_STATUS:
        return STATUS_HEAD;
      case FXP_DATA:
        return DATA_HEAD;
      case FXP_HANDLE:
        return fits ? bodyLength : null;
      case FXP_NAME:
      case FXP_ATTRS:
      case FXP_EXTENDED_REPLY:
        return ID_HEAD;
      default:
        return null;
    }
  }

  private checkLength(side: string, type: number, bodyLength: number): boolean {
    if (bodyLength + 1 <= this.maxPacketLength) return true;
    this.outbox.report(
      new TransferTrackingError(
        'ERR_TRANSFER_PACKET_TOO_LARGE',
        `SFTP ${side} packet of type ${type} is ${bodyLength + 1} bytes, over ${this.maxPacketLength}`,
      ),
    );
    return false;
  }

  private onClientPacket(type: number, bodyLength: number, head: Buffer): void {
    const fields = new SftpFields(head, `request ${type}`);
    const id = fields.u32();
    switch (type) {
      case FXP_OPEN: {
        const path = decodePath(fields.bytes());
        this.track(id, { kind: 'open', path, pflags: fields.u32() });
        return;
      }
      case FXP_READ:
      case FXP_CLOSE: {
        const handle = fields.bytes(MAX_HANDLE_LENGTH).toString('latin1');
        const file = this.files.get(handle);
        if (file) this.track(id, type === FXP_READ ? { kind: 'read', file } : { kind: 'close', handle });
        return;
      }
      case FXP_WRITE: {
        const file = this.files.get(fields.bytes(MAX_HANDLE_LENGTH).toString('latin1'));
        fields.skipU64();
        const length = fields.payloadLength(bodyLength);
        if (file) file.written += length;
        return;
      }
      case FXP_REMOVE:
      case FXP_MKDIR:
      case FXP_RMDIR: {
        const operation = type === FXP_REMOVE ? 'remove' : type === FXP_MKDIR ? 'mkdir' : 'rmdir';
        this.track(id, { kind: 'change', transfer: { operation, path: decodePath(fields.bytes()), bytes: 0, mode: 'sftp' } });
        return;
      }
      case FXP_RENAME:
        this.trackRename(id, fields);
        return;
      case FXP_EXTENDED:
        if (fields.bytes(MAX_EXTENSION_NAME).toString('latin1') === POSIX_RENAME) this.trackRename(id, fields);
        return;
    }
  }

  private trackRename(id: number, fields: SftpFields): void {
    const path = decodePath(fields.bytes());
    const newPath = decodePath(fields.bytes());
    this.track(id, { kind: 'change', transfer: { operation: 'rename', path, newPath, bytes: 0, mode: 'sftp' } });
  }

  private onServerPacket(type: number, bodyLength: number, head: Buffer): void {
    const fields = new SftpFields(head, `reply ${type}`);
    if (type === FXP_VERSION) {
      const version = fields.u32();
      if (version !== 3) throw new TransferTrackingError('ERR_TRANSFER_UNSUPPORTED', `SFTP version ${version} is not tracked`);
      return;
    }
    const id = fields.u32();
    const request = this.requests.get(id);
    this.requests.delete(id);
    if (type === FXP_STATUS) {
      const status = fields.u32();
      if (request?.kind === 'close') this.closeFile(request.handle);
      else if (request?.kind === 'change' && status === FX_OK) this.outbox.transfer(request.transfer);
    } else if (type === FXP_HANDLE && request?.kind === 'open') {
      const handle = fields.bytes(MAX_HANDLE_LENGTH).toString('latin1');
      this.closeFile(handle); // a handle the server reused without a close we saw
      if (this.files.size >= MAX_OPEN_FILES) throw tooMany(`${MAX_OPEN_FILES} open files`);
      this.files.set(handle, { path: request.path, pflags: request.pflags, read: 0, written: 0 });
    } else if (type === FXP_DATA) {
      const length = fields.payloadLength(bodyLength);
      if (request?.kind === 'read') request.file.read += length;
    }
  }

  private track(id: number, request: Request): void {
    if (this.requests.size >= MAX_IN_FLIGHT && !this.requests.has(id)) throw tooMany(`${MAX_IN_FLIGHT} requests in flight`);
    this.requests.set(id, request);
  }

  private closeFile(handle: string): void {
    const file = this.files.get(handle);
    if (!file) return;
    this.files.delete(handle);
    this.reportFile(file);
  }

  private reportFile(file: OpenFile): void {
    const { path } = file;
    if (file.read > 0) this.outbox.transfer({ operation: 'download', path, bytes: file.read, mode: 'sftp' });
    if (file.written > 0) this.outbox.transfer({ operation: 'upload', path, bytes: file.written, mode: 'sftp' });
    if (file.read === 0 && file.written === 0) {
      const operation = file.pflags & FXF_CHANGES_FILE ? 'upload' : 'download';
      this.outbox.transfer({ operation, path, bytes: 0, mode: 'sftp' });
    }
  }
}

function malformed(message: string): TransferTrackingError {
  return new TransferTrackingError('ERR_TRANSFER_MALFORMED', `SFTP ${message}`);
}

function tooMany(what: string): TransferTrackingError {
  return new TransferTrackingError('ERR_TRANSFER_TOO_MANY_PENDING', `SFTP peer has more than ${what}`);
}
