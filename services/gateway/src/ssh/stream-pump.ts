import type { Readable, Writable } from 'node:stream';

/**
 * Moves data from `from` to `to`, showing each chunk to `tap` too, and pauses the source
 * while the destination is full: nothing is buffered beyond the destination's own window.
 * Ending is left to the caller (EOF and close order matter in SSH).
 *
 * The chunk is passed on before `tap` sees it, so recording a keystroke or its echo does
 * not delay it. Nothing can overtake it: the tap runs before the event loop reads the next
 * chunk of either direction, and a recording is only flushed later anyway.
 */
export function pump(from: Readable, to: Writable, tap: (chunk: Buffer) => void): void {
  const onDrain = () => from.resume();
  to.on('drain', onDrain);
  from.on('data', (chunk: Buffer) => {
    const full = to.writable && !to.write(chunk);
    tap(chunk);
    if (full) from.pause();
  });
  from.once('close', () => to.off('drain', onDrain));
}
