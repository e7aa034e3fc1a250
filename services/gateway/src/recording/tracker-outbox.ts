import type { FileTransfer, FileTransferListener, TransferTrackingError, TransferTrackingErrorCode } from './file-transfer.ts';

type Message = { transfer: FileTransfer } | { error: TransferTrackingError };

/**
 * Holds what a tracker found while parsing a chunk and hands it out once the chunk is done,
 * in order. Parsing state is therefore always consistent when a listener runs, and a
 * listener that throws cannot leave a tracker half-way through a packet; its error reaches
 * the caller after the other messages were delivered.
 */
export class TrackerOutbox {
  private queue: Message[] = [];
  private readonly reported = new Set<TransferTrackingErrorCode>();
  degraded = false;

  constructor(
    private readonly onTransfer: FileTransferListener,
    private readonly onError: ((error: TransferTrackingError) => void) | undefined,
  ) {}

  transfer(transfer: FileTransfer): void {
    this.queue.push({ transfer });
  }

  /** Marks the tracker degraded; `onError` hears about each code once. */
  report(error: TransferTrackingError): void {
    this.degraded = true;
    if (this.reported.has(error.code)) return;
    this.reported.add(error.code);
    this.queue.push({ error });
  }

  deliver(): void {
    const messages = this.queue;
    this.queue = [];
    let failure: { error: unknown } | undefined;
    for (const message of messages) {
      try {
        if ('transfer' in message) this.onTransfer(message.transfer);
        else this.onError?.(message.error);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }
}
