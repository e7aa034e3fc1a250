import { TransferTrackingError } from './file-transfer.ts';

/**
 * How many bytes of a packet's body (what follows the type byte) to hand to the parser, or
 * `null` to pass the packet by unread.
 */
export type CapturePlan = (type: number, bodyLength: number) => number | null;

/** Called once the whole packet has gone by, with the first `plan()` bytes of its body. */
export type PacketHandler = (type: number, bodyLength: number, head: Buffer) => void;

const HEADER_LENGTH = 5; // uint32 length, then the type byte the length counts
const EMPTY = Buffer.alloc(0);

/**
 * Splits one direction of an SFTP stream into packets (`uint32 length`, `byte type`, body)
 * however the bytes were chunked. Only the head a `CapturePlan` asks for is ever copied, and
 * only when a packet straddles chunks; the rest of the body is passed over by counting, so a
 * 32 KiB DATA packet costs a few arithmetic operations, and no length field can make it buffer.
 */
export class SftpPacketReader {
  private readonly header = Buffer.alloc(HEADER_LENGTH);
  private headerFill = 0;
  private phase: 'header' | 'head' | 'skip' = 'header';
  private type = 0;
  private bodyLength = 0;
  private deliver = false;
  private headNeed = 0;
  private headBuffer: Buffer | null = null;
  private headFill = 0;
  private head: Buffer = EMPTY;
  private skip = 0;

  constructor(
    private readonly plan: CapturePlan,
    private readonly onPacket: PacketHandler,
  ) {}

  /** Throws `TransferTrackingError` for a length field too short to hold the type byte. */
  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.phase === 'header') {
        const n = Math.min(HEADER_LENGTH - this.headerFill, chunk.length - at);
        chunk.copy(this.header, this.headerFill, at, at + n);
        this.headerFill += n;
        at += n;
        if (this.headerFill === HEADER_LENGTH) this.begin();
      } else if (this.phase === 'head') {
        at = this.readHead(chunk, at);
      } else {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
        if (this.skip === 0) this.finish();
      }
    }
  }

  private begin(): void {
    this.headerFill = 0;
    const length = this.header.readUInt32BE(0);
    if (length === 0) throw new TransferTrackingError('ERR_TRANSFER_MALFORMED', 'SFTP packet of length 0 has no type');
    this.type = this.header[4]!;
    this.bodyLength = length - 1;
    const need = this.plan(this.type, this.bodyLength);
    this.deliver = need !== null;
    this.headNeed = Math.min(need ?? 0, this.bodyLength);
    this.skip = this.bodyLength - this.headNeed;
    this.head = EMPTY;
    if (this.headNeed > 0) this.phase = 'head';
    else this.afterHead();
  }

  private readHead(chunk: Buffer, at: number): number {
    if (this.headFill === 0 && chunk.length - at >= this.headNeed) {
      // The whole head is in this chunk: parse it in place unless it must outlive the chunk.
      const head = chunk.subarray(at, at + this.headNeed);
      this.head = this.skip > 0 ? Buffer.from(head) : head;
      this.afterHead();
      return at + this.headNeed;
    }
    this.headBuffer ??= Buffer.alloc(this.headNeed);
    const n = Math.min(this.headNeed - this.headFill, chunk.length - at);
    chunk.copy(this.headBuffer, this.headFill, at, at + n);
    this.headFill += n;
    if (this.headFill === this.headNeed) {
      this.head = this.headBuffer;
      this.headBuffer = null;
      this.headFill = 0;
      this.afterHead();
    }
    return at + n;
  }

  private afterHead(): void {
    if (this.skip > 0) this.phase = 'skip';
    else this.finish();
  }

  private finish(): void {
    this.phase = 'header';
    const head = this.head;
    this.head = EMPTY;
    if (this.deliver) this.onPacket(this.type, this.bodyLength, head);
  }
}
