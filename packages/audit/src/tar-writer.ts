/**
 * The few pieces of a POSIX ustar archive (POSIX.1-1988, what `tar --format=ustar` writes)
 * an export needs: a header per regular file, zero padding to the next 512-byte block, and
 * two zero blocks at the end. Uncompressed, so any `tar` reads it and a verifier can find
 * each file by offset. Sizes are written in the 11 octal digits ustar allows: below 8 GiB.
 */

export const TAR_BLOCK = 512;
const MAX_SIZE = 8 ** 11 - 1;
const NAME_LENGTH = 100;

export interface TarFileHeader {
  /** A relative path with `/` separators, ASCII, at most 100 bytes. */
  name: string;
  size: number;
  mtime: Date;
  /** Default 0600: an export holds recordings, which may hold secrets. */
  mode?: number;
}

export function tarHeader(entry: TarFileHeader): Buffer {
  checkName(entry.name);
  if (!Number.isSafeInteger(entry.size) || entry.size < 0 || entry.size > MAX_SIZE) {
    throw new RangeError(`tar: ${entry.name} is ${entry.size} bytes; a ustar entry holds 0 to ${MAX_SIZE}`);
  }
  const header = Buffer.alloc(TAR_BLOCK);
  header.write(entry.name, 0, NAME_LENGTH, 'ascii');
  octal(header, 100, 8, entry.mode ?? 0o600);
  octal(header, 108, 8, 0); // uid
  octal(header, 116, 8, 0); // gid
  octal(header, 124, 12, entry.size);
  octal(header, 136, 12, Math.max(0, Math.floor(entry.mtime.getTime() / 1000)));
  header.write(' '.repeat(8), 148, 8, 'ascii'); // the checksum counts its own field as spaces
  header.write('0', 156, 1, 'ascii'); // a regular file
  header.write('ustar\0', 257, 6, 'ascii');
  header.write('00', 263, 2, 'ascii');
  header.write('root', 265, 32, 'ascii'); // uname
  header.write('root', 297, 32, 'ascii'); // gname
  const sum = checksum(header);
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return header;
}

/** Zeros from the end of a `size`-byte file to its next block boundary (none when it ends on one). */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK);
}

/** Two zero blocks: the end of the archive. */
export function tarTrailer(): Buffer {
  return Buffer.alloc(2 * TAR_BLOCK);
}

/** A whole small file (header, content, padding), for content already in memory. */
export function tarFile(name: string, content: Buffer, mtime: Date): Buffer {
  return Buffer.concat([tarHeader({ name, size: content.length, mtime }), content, tarPadding(content.length)]);
}

/** The unsigned byte sum of a header block, its checksum field read as eight spaces. */
export function checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum;
}

function octal(header: Buffer, offset: number, width: number, value: number): void {
  header.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, width, 'ascii');
}

function checkName(name: string): void {
  const ok =
    /^[\x21-\x7e]+$/.test(name) &&
    name.length <= NAME_LENGTH &&
    !name.startsWith('/') &&
    name.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
  if (!ok) throw new TypeError(`tar: ${JSON.stringify(name.slice(0, 120))} is not a relative ASCII path of at most ${NAME_LENGTH} bytes`);
}
