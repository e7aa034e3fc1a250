import { TransferTrackingError } from './file-transfer.ts';

/**
 * Reads the fields of one SFTP packet head in order. Running past the end is malformed input,
 * reported as `TransferTrackingError`; it never reads outside `buffer`.
 */
export class SftpFields {
  private at = 0;

  constructor(
    private readonly buffer: Buffer,
    private readonly what: string,
  ) {}

  u32(): number {
    this.need(4);
    const value = this.buffer.readUInt32BE(this.at);
    this.at += 4;
    return value;
  }

  /** A uint64 (a file offset) the tracker has no use for. */
  skipU64(): void {
    this.need(8);
    this.at += 8;
  }

  /** A `string` field (uint32 length + bytes), as a view into the head, not a copy. */
  bytes(maxLength = Infinity): Buffer {
    const length = this.u32();
    if (length > maxLength) this.fail(`a field of ${length} bytes (at most ${maxLength})`);
    this.need(length);
    const value = this.buffer.subarray(this.at, this.at + length);
    this.at += length;
    return value;
  }

  /** The length of a `string` field whose bytes are not in the head (WRITE and DATA payloads). */
  payloadLength(bodyLength: number): number {
    const length = this.u32();
    if (length > bodyLength - this.at) this.fail(`a payload of ${length} bytes that the packet does not hold`);
    return length;
  }

  private need(n: number): void {
    if (this.at + n > this.buffer.length) this.fail('a field past the end of the packet');
  }

  private fail(detail: string): never {
    throw new TransferTrackingError('ERR_TRANSFER_MALFORMED', `SFTP ${this.what} has ${detail}`);
  }
}
