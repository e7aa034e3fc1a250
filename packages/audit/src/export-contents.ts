import { createReadStream } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { bufferSource, fileSource, readTarIndex, type ByteSource } from './tar-reader.ts';

/** The files of an export, wherever they are: an archive in memory, an archive file, or the directory it was extracted to. */
export interface ExportContents {
  /** Regular files, as `/`-separated paths relative to the export's root. */
  readonly names: readonly string[];
  /** Paths an archive holds more than once (`tar -x` keeps the last: a way to swap a file). */
  readonly duplicates: readonly string[];
  /** Entries of a directory that are neither files nor directories (links, sockets). */
  readonly irregular: readonly string[];
  size(name: string): number;
  chunks(name: string): AsyncIterable<Buffer>;
  close(): Promise<void>;
}

const CHUNK = 1024 * 1024;

/** `input`: the archive's bytes, or the path of an archive file or of a directory. */
export async function openExport(input: Uint8Array | string): Promise<ExportContents> {
  if (typeof input !== 'string') return tarContents(bufferSource(input));
  if ((await stat(input)).isDirectory()) return directoryContents(input);
  const source = await fileSource(input);
  try {
    return await tarContents(source);
  } catch (error) {
    await source.close();
    throw error;
  }
}

async function tarContents(source: ByteSource): Promise<ExportContents> {
  const entries = new Map<string, { offset: number; size: number }>();
  const duplicates: string[] = [];
  for (const entry of await readTarIndex(source)) {
    if (entries.has(entry.name)) duplicates.push(entry.name);
    entries.set(entry.name, entry);
  }
  const entry = (name: string) => {
    const found = entries.get(name);
    if (!found) throw new RangeError(`the archive holds no ${name}`);
    return found;
  };
  return {
    names: [...entries.keys()],
    duplicates,
    irregular: [],
    size: (name) => entry(name).size,
    async *chunks(name) {
      const { offset, size } = entry(name);
      for (let done = 0; done < size; done += CHUNK) yield await source.read(offset + done, Math.min(CHUNK, size - done));
    },
    close: () => source.close(),
  };
}

async function directoryContents(root: string): Promise<ExportContents> {
  const sizes = new Map<string, number>();
  const irregular: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    for (const dirent of await readdir(join(root, relative), { withFileTypes: true })) {
      const name = relative ? `${relative}/${dirent.name}` : dirent.name;
      if (dirent.isDirectory()) await walk(name);
      else if (dirent.isFile()) sizes.set(name, (await lstat(join(root, name))).size);
      else irregular.push(name);
    }
  };
  await walk('');
  return {
    names: [...sizes.keys()].sort(),
    duplicates: [],
    irregular,
    size: (name) => sizes.get(name) ?? 0,
    chunks: (name) => createReadStream(join(root, name), { highWaterMark: CHUNK }) as AsyncIterable<Buffer>,
    close: async () => undefined,
  };
}
