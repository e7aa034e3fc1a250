import type { Readable, Writable } from 'node:stream';

/**
 * Moves data from `from` to `to`, showing each chunk to `tap` first, and pauses the source
 * while the destination is full: nothing is buffered beyond the destination's own window.
 * Ending is left to the caller (EOF and close order matter in SSH).
 */
export function pump(from: Readable, to: Writable, tap: (chunk: Buffer) => void): void {
  const onDrain = () => from.resume();
  to.on('drain', onDrain);
  from.on('data', (chunk: Buffer) => {
    tap(chunk);
    if (!to.writable) return;
    if (!to.write(chunk)) from.pause();
  });
  from.once('close', () => to.off('drain', onDrain));
}
