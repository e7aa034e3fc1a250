import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { verifyExport, type ExportVerification } from '@access/audit';
import { fingerprint, parsePublicKey, type SshPublicKey } from '@access/sshcert';
import { CliError } from '../errors.ts';
import { accessHome } from '../home/access-home.ts';
import { readSession } from '../home/session-file.ts';
import { print, printJson, type CliIo } from '../io.ts';

interface VerifyFlags {
  caKey?: string;
  json?: boolean;
}

const KEY_LINE = /^(?:ssh-ed25519|ecdsa-sha2-nistp\d+|ssh-rsa)\s+[A-Za-z0-9+/]/;

/** The server of the last login, to say where the key can be fetched; nothing when there is none. */
function knownServer(io: CliIo): string {
  try {
    return readSession(accessHome(io.env))?.server ?? '<server>';
  } catch {
    return '<server>';
  }
}

/**
 * The trusted user CA key: `--ca-key` as the key line itself or a file holding it. The CLI
 * keeps no CA key from the login (session.json holds none), and the export's own claim of
 * its key proves nothing, so without --ca-key this says exactly what to pass.
 */
export function trustedCaKey(value: string | undefined, io: CliIo): SshPublicKey {
  if (value === undefined) {
    throw new CliError(
      'ERR_NO_CA_KEY',
      'no CA key to check the export against: pass --ca-key with the access user CA public key, either a file holding it or the key itself in quotes ' +
        `("ssh-ed25519 AAAA…"). Take it from a source you trust, never from the export: the "user" entry of ${knownServer(io)}/v1/ca, ` +
        'or on the CA host "ssh-keygen -y -f <data-dir>/keys/user-ca".',
    );
  }
  let text = value.trim();
  if (!KEY_LINE.test(text)) {
    try {
      text = readFileSync(value, 'utf8').split('\n').map((line) => line.trim()).find((line) => line !== '' && !line.startsWith('#')) ?? '';
    } catch (error) {
      throw new CliError('ERR_CA_KEY', `--ca-key is neither a public key ("ssh-ed25519 AAAA…") nor a file that can be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
    }
  }
  try {
    return parsePublicKey(text);
  } catch (error) {
    throw new CliError('ERR_CA_KEY', `--ca-key does not hold an OpenSSH public key: ${(error as Error).message}`, { cause: error });
  }
}

function summary(path: string, key: SshPublicKey, result: Extract<ExportVerification, { ok: true }>): string[] {
  const seqs = result.count === 0 ? 'none in the period' : `${result.count} (seq ${result.firstSeq} to ${result.lastSeq})`;
  return [
    `verified: ${path} is an intact audit export, signed by the user CA key ${fingerprint(key.blob)}`,
    `  events:   ${seqs}, ${result.filter.format}`,
    `  period:   ${result.filter.since ?? 'the start of the log'} to ${result.filter.until ?? result.createdAt}`,
    `  sessions: ${result.filter.sessions ? `${result.sessions} recording${result.sessions === 1 ? '' : 's'}` : 'not included'}`,
    `  made:     ${result.createdAt}, when the chain's head was seq ${result.headSeq}`,
  ];
}

export function registerAuditVerify(audit: Command, io: CliIo): void {
  audit
    .command('verify <export>')
    .description('check an audit export offline (the .tar, or the directory it was extracted to): the CA signature, every record and the chain between them, every file')
    .option('--ca-key <key>', 'the user CA public key to trust: a file holding it, or the key itself ("ssh-ed25519 AAAA…")')
    .option('--json', 'print the result as JSON')
    .action(async (path: string, o: VerifyFlags) => {
      const key = trustedCaKey(o.caKey, io);
      const result = await verifyExport(path, key);
      if (o.json) printJson(io, JSON.parse(JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))));
      if (!result.ok) throw new CliError(result.problem.code, `the export did NOT verify: ${result.problem.message}`);
      if (!o.json) for (const line of summary(path, key, result)) print(io)(line);
    });
}
