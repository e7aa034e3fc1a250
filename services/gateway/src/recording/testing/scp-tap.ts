/**
 * A stand-in for the gateway in the OpenSSH scp tests, run as `scp -O -S WRAPPER` where the
 * wrapper runs `node --import tsx scp-tap.ts OUT "$@"`. scp calls it like ssh (`... host
 * command`); it parses the command, runs it here with sh (the real `scp -t`/`scp -f`) and
 * passes every byte both ways through a scp tracker, the way the gateway bridges an exec
 * channel. When the command exits it writes OUT: the command, what `parseScpCommand` made of
 * it, the transfers, the tracker's errors and the chunks in the order they passed.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { FileTransfer, TransferTrackingError } from '../file-transfer.ts';
import { createScpTracker, parseScpCommand, type ScpCommand } from '../scp-command.ts';

export interface ScpTapOutput {
  command: string;
  parsed: ScpCommand | null;
  transfers: FileTransfer[];
  errors: string[];
  degraded: boolean;
  chunks: ['client' | 'server', string][];
}

const [outFile, ...sshArgs] = process.argv.slice(2);
const command = sshArgs.at(-1);
if (!outFile || command === undefined) throw new Error('usage: scp-tap.ts OUT_FILE [ssh options] host command');

const parsed = parseScpCommand(command);
const output: ScpTapOutput = { command, parsed, transfers: [], errors: [], degraded: false, chunks: [] };
if (!parsed) {
  writeFileSync(outFile, JSON.stringify(output));
  throw new Error(`not an scp command: ${command}`);
}
const tracker = createScpTracker(parsed.direction, (t) => output.transfers.push(t), {
  onError: (e: TransferTrackingError) => output.errors.push(`${e.code}: ${e.message}`),
});
const remote = spawn('sh', ['-c', command], { stdio: ['pipe', 'pipe', 'inherit'] });

process.stdin.on('data', (chunk: Buffer) => {
  output.chunks.push(['client', chunk.toString('base64')]);
  tracker.fromClient(chunk);
  remote.stdin.write(chunk);
});
process.stdin.on('end', () => remote.stdin.end());
remote.stdout.on('data', (chunk: Buffer) => {
  output.chunks.push(['server', chunk.toString('base64')]);
  tracker.fromServer(chunk);
  process.stdout.write(chunk);
});
remote.on('close', (code) => {
  tracker.end();
  output.degraded = tracker.degraded;
  writeFileSync(outFile, JSON.stringify(output));
  // The client may still hold its end of our stdin open, waiting for our stdout to close.
  process.exit(code ?? 1);
});
