import { open } from 'node:fs/promises';
import { TAR_BLOCK, checksum } from './tar-writer.ts';

/** Random access to bytes: a Buffer in memory, or a file read a piece at a time. */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

export function bufferSource(bytes: Uint8Array): ByteSource {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    size: buffer.length,
    read: async (offset, length) => buffer.subarray(offset, offset + length),
    close: async () => undefined,
  };
}

export async function fileSource(path: string): Promise<ByteSource> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    return {
      size,
      async read(offset, length) {
        const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
        let done = 0;
        while (done < buffer.length) {
          const { bytesRead } = await handle.read(buffer, done, buffer.length - done, offset + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return buffer.subarray(0, done);
      },
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

export interface TarEntry {
  /** The path inside the archive, without a leading `./`. */
  name: string;
  /** Where the content starts in the source. */
  offset: number;
  size: number;
}

/** The bytes are not an archive this reader takes: truncated, a bad checksum, an entry type other than file or directory. */
export class TarFormatError extends Error {
  readonly code = 'ERR_TAR_FORMAT';
}

/**
 * The regular files of a ustar (or GNU tar) archive, in archive order; directories are
 * skipped. Reads only the header blocks, so a large archive is never held in memory.
 * Links, devices and pax/GNU extended headers are refused rather than skipped: they could
 * rename or replace a file, and then the verifier would check other bytes than `tar -x` gives.
 */
export async function readTarIndex(source: ByteSource): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  let offset = 0;
  for (;;) {
    if (offset + TAR_BLOCK > source.size) throw new TarFormatError(`the archive ends at byte ${source.size}, inside a header or without its end blocks`);
    const header = await source.read(offset, TAR_BLOCK);
    if (header.every((b) => b === 0)) return entries;
    const where = `the tar header at byte ${offset}`;
    if (readOctal(header, 148, 8, where) !== checksum(header)) throw new TarFormatError(`${where} has a wrong checksum: this is not a tar archive, or it was damaged`);
    const magic = header.toString('latin1', 257, 265);
    if (magic !== 'ustar\u000000' && magic !== 'ustar  \u0000') throw new TarFormatError(`${where} is not a ustar header`);
    const size = readOctal(header, 124, 12, where);
    const type = String.fromCharCode(header[156]!);
    offset += TAR_BLOCK;
    if (type === '0' || type === '\u0000') {
      const name = entryName(header, where);
      if (offset + size > source.size) throw new TarFormatError(`${name} is cut short: the archive ends before its ${size} bytes`);
      entries.push({ name, offset, size });
    } else if (type !== '5') {
      throw new TarFormatError(`${where} is an entry of type ${JSON.stringify(type)}; an export holds only regular files (extract it and verify the directory instead)`);
    }
    offset += Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
  }
}

function entryName(header: Buffer, where: string): string {
  const field = (start: number, length: number) => {
    const raw = header.subarray(start, start + length);
    const end = raw.indexOf(0);
    return raw.subarray(0, end < 0 ? length : end).toString('utf8');
  };
  const prefix = field(345, 155);
  const joined = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
  const name = joined.replace(/^(?:\.\/)+/, '').replace(/\/$/, '');
  if (name === '' || name.startsWith('/') || name.split('/').includes('..')) throw new TarFormatError(`${where} names ${JSON.stringify(joined.slice(0, 120))}, not a relative path inside the archive`);
  return name;
}

function readOctal(header: Buffer, start: number, length: number, where: string): number {
  const text = header.toString('latin1', start, start + length).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (!/^[0-7]{1,12}$/.test(text)) throw new TarFormatError(`${where} has a malformed number field: this is not a tar archive, or it was damaged`);
  return parseInt(text, 8);
}
