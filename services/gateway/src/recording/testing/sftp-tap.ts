/**
 * A stand-in for the gateway in the OpenSSH tests: `sftp -D "node --import tsx sftp-tap.ts
 * OUT DIR"` talks to it as to an sftp server. It runs the real sftp-server (started in DIR)
 * and passes every byte both ways through an SFTP tracker, the way the gateway bridges a
 * channel. When the session ends it writes OUT: the transfers, the tracker's errors, and the
 * chunks in the order they passed (so a test can replay them).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { FileTransfer, TransferTrackingError } from '../file-transfer.ts';
import { createSftpTracker } from '../sftp-tracker.ts';

export interface SftpTapOutput {
  transfers: FileTransfer[];
  errors: string[];
  degraded: boolean;
  /** Each chunk as [direction, base64], in the order the tap saw them. */
  chunks: ['client' | 'server', string][];
}

const [outFile, startDir] = process.argv.slice(2);
if (!outFile || !startDir) throw new Error('usage: sftp-tap.ts OUT_FILE START_DIR');

const output: SftpTapOutput = { transfers: [], errors: [], degraded: false, chunks: [] };
const tracker = createSftpTracker((t) => output.transfers.push(t), {
  onError: (e: TransferTrackingError) => output.errors.push(`${e.code}: ${e.message}`),
});
const server = spawn('/usr/lib/openssh/sftp-server', ['-d', startDir], { stdio: ['pipe', 'pipe', 'inherit'] });

process.stdin.on('data', (chunk: Buffer) => {
  output.chunks.push(['client', chunk.toString('base64')]);
  tracker.fromClient(chunk);
  server.stdin.write(chunk);
});
process.stdin.on('end', () => server.stdin.end());
server.stdout.on('data', (chunk: Buffer) => {
  output.chunks.push(['server', chunk.toString('base64')]);
  tracker.fromServer(chunk);
  process.stdout.write(chunk);
});
server.on('close', (code) => {
  tracker.end();
  output.degraded = tracker.degraded;
  writeFileSync(outFile, JSON.stringify(output));
  // The client may still hold its end of our stdin open, waiting for our stdout to close.
  process.exit(code ?? 1);
});
