import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cleanup } from '../lib/cleanup.ts';

const MIB = 1024 * 1024;

/** What a transfer carries: it decides how much work the gateway's recorder has per byte. */
export type PayloadKind = 'binary' | 'text';

export const PAYLOAD_LABELS: Readonly<Record<PayloadKind, string>> = {
  binary: 'random bytes (an archive, a binary)',
  text: 'ASCII text (base64 lines, like a log)',
};

/** One MiB of each kind, repeated: random bytes are mostly invalid UTF-8; base64 is plain ASCII. */
function block(kind: PayloadKind): Buffer {
  if (kind === 'binary') return randomBytes(MIB);
  const line = () => `${randomBytes(57).toString('base64')}\n`;
  const text = Buffer.from(Array.from({ length: Math.ceil(MIB / 77) }, line).join(''));
  return text.subarray(0, MIB);
}

/**
 * A file of `bytes` bytes per kind, in a directory the login can read on the target (the
 * same machine). Removed by `cleanup`.
 */
export async function makePayloadFiles(cleanup: Cleanup, bytes: number): Promise<Record<PayloadKind, string>> {
  const dir = await mkdtemp(join(tmpdir(), 'access-bench-gateway-data-'));
  cleanup.defer(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  await chmod(dir, 0o755);
  const files = { binary: join(dir, 'binary'), text: join(dir, 'text') };
  for (const kind of ['binary', 'text'] as const) {
    const handle = await open(files[kind], 'w', 0o644);
    try {
      const data = block(kind);
      for (let written = 0; written < bytes; written += MIB) await handle.write(data, 0, Math.min(MIB, bytes - written));
    } finally {
      await handle.close();
    }
  }
  return files;
}
