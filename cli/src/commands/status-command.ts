import { existsSync, readFileSync } from 'node:fs';
import { fingerprint, parseCertificate, type SshCertificate } from '@access/sshcert';
import type { Command } from 'commander';
import { CliError } from '../errors.ts';
import { formatDuration } from '../format/duration.ts';
import { accessHome } from '../home/access-home.ts';
import { readSession } from '../home/session-file.ts';
import { print, printJson, type CliIo } from '../io.ts';
import { notLoggedIn } from './command-context.ts';

const FOREVER = 0xffff_ffff_ffff_ffffn;
const isoOf = (seconds: bigint) => (seconds >= FOREVER ? 'forever' : new Date(Number(seconds) * 1000).toISOString());

/** Who you are and how long you have, read from the files alone: it works offline. */
export function registerStatusCommand(program: Command, io: CliIo): void {
  program
    .command('status')
    .description('show who you are signed in as, your logins and roles, and the time left (offline)')
    .option('--json', 'print machine-readable JSON')
    .action((o: { json?: boolean }) => {
      const home = accessHome(io.env);
      const session = readSession(home);
      const cert: SshCertificate | null = existsSync(home.cert) ? parseCertificate(readFileSync(home.cert, 'utf8')) : null;
      if (!session && !cert) throw notLoggedIn();

      const now = io.now().getTime() / 1000;
      const validBefore = cert ? (cert.validBefore >= FOREVER ? Infinity : Number(cert.validBefore)) : Date.parse(session!.validBefore) / 1000;
      const secondsLeft = Math.max(0, Math.floor(validBefore - now));
      const expired = validBefore <= now;
      const view = {
        server: session?.server ?? null,
        user: session?.user ?? null,
        keyId: cert?.keyId ?? null,
        principals: cert?.principals ?? session?.principals ?? [],
        roles: session?.roles ?? [],
        capabilities: session?.capabilities ?? [],
        validAfter: cert ? isoOf(cert.validAfter) : (session?.validAfter ?? null),
        validBefore: cert ? isoOf(cert.validBefore) : session!.validBefore,
        secondsLeft: Number.isFinite(secondsLeft) ? secondsLeft : null,
        expired,
        certificate: cert ? { file: home.cert, serial: cert.serial.toString(), fingerprint: fingerprint(cert.publicKey.blob) } : null,
        gateway: session?.gateway ?? null,
      };
      if (o.json) printJson(io, view);
      else {
        const out = print(io);
        out(`Signed in as ${view.user ? view.user.email : (view.keyId ?? 'unknown')}${view.server ? ` at ${view.server}` : ''}`);
        out(`  logins:      ${view.principals.join(', ') || '-'}`);
        out(`  roles:       ${view.roles.join(', ') || '-'}`);
        if (view.capabilities.length) out(`  may:         ${view.capabilities.join(', ')}`);
        out(`  valid until: ${view.validBefore}${expired ? ' (expired)' : ` (${Number.isFinite(secondsLeft) ? formatDuration(secondsLeft) : 'no limit'} left)`}`);
        if (view.gateway && !session?.direct) {
          const g = view.gateway;
          out(`  gateway:     ${g.host.includes(':') ? `[${g.host}]` : g.host}:${g.port}   (ssh -J ${g.host.includes(':') ? `[${g.host}]` : g.host}:${g.port} LOGIN@HOST)`);
        }
        if (!cert) out('  no SSH certificate: your roles grant no login');
      }
      if (expired) {
        throw new CliError('ERR_EXPIRED', `your ${cert ? 'certificate' : 'session'} expired at ${view.validBefore}; run "access login" to renew`);
      }
    });
}
