import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import type { FileTransfer, FileTransferListener, TransferTracker, TransferTrackerOptions } from '../file-transfer.ts';

/** A chunk of a recorded channel, in the order it passed the gateway. */
export type Chunk = readonly ['client' | 'server', Buffer];

export interface Observed {
  tracker: TransferTracker;
  transfers: FileTransfer[];
  errors: string[];
}

/** A tracker whose transfers and error codes land in arrays. */
export function observe(create: (onTransfer: FileTransferListener, options: TransferTrackerOptions) => TransferTracker): Observed {
  const transfers: FileTransfer[] = [];
  const errors: string[] = [];
  const tracker = create((t) => transfers.push(t), { onError: (e) => errors.push(e.code) });
  return { tracker, transfers, errors };
}

/** Feeds `chunks` in order, each cut in two at `cut` (when it is longer), then ends. */
export function replay(tracker: TransferTracker, chunks: readonly Chunk[], cut = Infinity): void {
  for (const [side, bytes] of chunks) {
    const pieces = cut < bytes.length ? [bytes.subarray(0, cut), bytes.subarray(cut)] : [bytes];
    for (const piece of pieces) {
      if (side === 'client') tracker.fromClient(piece);
      else tracker.fromServer(piece);
    }
  }
  tracker.end();
}

/** The same chunks one byte at a time. */
export function bytewise(chunks: readonly Chunk[]): Chunk[] {
  return chunks.flatMap(([side, bytes]) => [...bytes].map((b): Chunk => [side, Buffer.from([b])]));
}

export function decodeChunks(recorded: readonly (readonly ['client' | 'server', string])[]): Chunk[] {
  return recorded.map(([side, base64]) => [side, Buffer.from(base64, 'base64')]);
}

/** `node` with tsx, to run the tap scripts as programs the OpenSSH tools start. */
export const NODE_WITH_TSX = [process.execPath, '--import', createRequire(import.meta.url).resolve('tsx')];

export interface ToolResult {
  code: number | null;
  output: string;
}

/** Runs an OpenSSH tool with an argument array; kills it after `timeoutMs`. */
export function runTool(file: string, args: readonly string[], timeoutMs = 30_000): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
