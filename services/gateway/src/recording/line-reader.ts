import { TransferTrackingError } from './file-transfer.ts';

const NEWLINE = 0x0a;

/** Collects one `\n`-terminated line across chunks, never more than `maxLength` bytes. */
export class LineReader {
  private parts: Buffer[] = [];
  private length = 0;

  constructor(private readonly maxLength: number) {}

  /**
   * Reads from `chunk` at `at` up to and including the next newline. `line` (without the
   * newline) is a view into `chunk` when the line lies in it whole, so use it before the
   * chunk can change; it is null when the chunk ended first.
   */
  read(chunk: Buffer, at: number): { line: Buffer | null; at: number } {
    const newline = chunk.indexOf(NEWLINE, at);
    const end = newline === -1 ? chunk.length : newline;
    this.length += end - at;
    if (this.length > this.maxLength) {
      throw new TransferTrackingError('ERR_TRANSFER_MALFORMED', `scp stream has a line over ${this.maxLength} bytes`);
    }
    if (newline === -1) {
      this.parts.push(Buffer.from(chunk.subarray(at)));
      return { line: null, at: chunk.length };
    }
    const tail = chunk.subarray(at, newline);
    const line = this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail]);
    this.parts = [];
    this.length = 0;
    return { line, at: newline + 1 };
  }
}
