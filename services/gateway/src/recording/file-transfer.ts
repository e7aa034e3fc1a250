/**
 * What the gateway learns about a file that moved through an SSH session: the path and the
 * byte count, never the contents. One of these becomes one `file.transfer` audit event.
 *
 * `bytes` counts what crossed the gateway (the payload of SFTP WRITE requests and DATA
 * replies, or of scp file records), not what the target confirmed it stored. It is 0 for the
 * operations that move no data.
 */
export type FileTransfer =
  | { operation: 'download' | 'upload'; path: string; bytes: number; mode: FileTransferMode }
  | { operation: 'rename'; path: string; newPath: string; bytes: 0; mode: FileTransferMode }
  | { operation: 'remove' | 'mkdir' | 'rmdir'; path: string; bytes: 0; mode: FileTransferMode };

export type FileTransferMode = 'sftp' | 'scp';

export type FileTransferListener = (transfer: FileTransfer) => void;

/**
 * Watches both directions of one session channel. The gateway calls `fromClient` and
 * `fromServer` with each chunk as it forwards it (in the order the chunks arrived) and
 * `end()` once when the channel closes. None of them throws on bad input: a tracker that
 * cannot follow the stream any more stops, sets `degraded` and reports why through `onError`,
 * and the bytes keep flowing. Listeners run after the chunk is parsed; if one throws, the
 * others still run and the first error is rethrown to the caller of `fromClient` & co.
 * Chunks are read during the call only and never kept, so the caller may reuse them.
 */
export interface TransferTracker {
  fromClient(chunk: Buffer): void;
  fromServer(chunk: Buffer): void;
  end(): void;
  /** True once the reported transfers may be incomplete (see `TransferTrackingError`). */
  readonly degraded: boolean;
}

export interface TransferTrackerOptions {
  /** Told the first time each error code occurs; every one of them sets `degraded`. */
  onError?: (error: TransferTrackingError) => void;
}

export type TransferTrackingErrorCode =
  /** Bytes that are not the protocol; tracking stopped. */
  | 'ERR_TRANSFER_MALFORMED'
  /** A packet over the size limit was skipped unread; tracking goes on. */
  | 'ERR_TRANSFER_PACKET_TOO_LARGE'
  /** More requests in flight (or bytes held back) than the tracker keeps; tracking stopped. */
  | 'ERR_TRANSFER_TOO_MANY_PENDING'
  /** A protocol version the tracker does not read (SFTP other than 3); tracking stopped. */
  | 'ERR_TRANSFER_UNSUPPORTED';

export class TransferTrackingError extends Error {
  constructor(
    readonly code: TransferTrackingErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransferTrackingError';
  }
}

/** Paths longer than this many UTF-16 code units are cut (Linux's PATH_MAX is 4096 bytes). */
export const MAX_PATH_LENGTH = 4096;

/**
 * SFTP and scp carry names as bytes. They are shown as UTF-8 (invalid sequences become
 * U+FFFD) and cut at `MAX_PATH_LENGTH`.
 */
export function decodePath(bytes: Buffer): string {
  // Four bytes per code point at most, so this prefix always holds enough characters.
  return capPath(bytes.subarray(0, MAX_PATH_LENGTH * 4).toString('utf8'));
}

/** Cuts a path at `MAX_PATH_LENGTH`, never inside a surrogate pair. */
export function capPath(path: string): string {
  if (path.length <= MAX_PATH_LENGTH) return path;
  const last = path.charCodeAt(MAX_PATH_LENGTH - 1);
  return path.slice(0, last >= 0xd800 && last <= 0xdbff ? MAX_PATH_LENGTH - 1 : MAX_PATH_LENGTH);
}
