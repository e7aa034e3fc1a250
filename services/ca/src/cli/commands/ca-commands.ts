import { readFileSync, writeFileSync } from 'node:fs';
import type { CaKind } from '@access/db';
import { Argument, Option, type Command } from 'commander';
import type { SignRequest } from '../../authority/sign-request.ts';
import { createRevocations, type RevocationTarget } from '../../authority/revocations.ts';
import { openServices, openStore, type Store } from '../../ca-services.ts';
import { initKeys, retireKey, rotateKey } from '../../keys/key-admin.ts';
import { cliActor, configFrom, say, type CliIo, type GlobalOptions } from '../io.ts';
import { CommandFailed } from '../run.ts';

const list = (value: string): string[] => value.split(',').map((s) => s.trim()).filter(Boolean);

function readPublicKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CommandFailed(`cannot read the public key file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

export function registerCaCommands(program: Command, io: CliIo): void {
  const ca = program.command('ca').description('CA keys, offline signing and revocation');
  const globals = (command: Command) => configFrom(command.optsWithGlobals<GlobalOptions>(), io);
  const withStore = async <T>(command: Command, fn: (store: Store) => Promise<T>): Promise<T> => {
    const store = await openStore(globals(command), { say: say(io) });
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  };

  ca.command('init')
    .description('generate the user, host and upstream CA keys (Ed25519) into <data-dir>/keys (0700, files 0600)')
    .action(async (_o: unknown, command: Command) => {
      const config = globals(command);
      if (config.credentialsDir) throw new CommandFailed('CREDENTIALS_DIRECTORY is set: keys come from systemd credentials; generate them with "ssh-keygen -t ed25519 -N \'\' -f user-ca" and LoadCredential=');
      const created = await withStore(command, (s) => initKeys({ db: s.database.db, audit: s.audit, keyDir: config.keyDir, clock: s.clock, onlyMissing: false }));
      for (const k of created) io.stdout.write(`${k.kind} ${k.publicKey}\n`);
      io.stderr.write(`wrote ${created.length} CA keys to ${config.keyDir}\n`);
    });

  ca.command('keys')
    .description('print the active CA public keys, one line each: user|host|upstream <OpenSSH public key>')
    .action(async (_o: unknown, command: Command) => {
      const rows = await withStore(command, (s) => s.database.db.selectFrom('ca_keys').selectAll().where('status', '=', 'active').orderBy('created_at').orderBy('fingerprint').execute());
      if (rows.length === 0) throw new CommandFailed('this CA has no keys yet: run "access-server ca init"');
      for (const order of ['user', 'host', 'upstream']) for (const r of rows.filter((x) => x.kind === order)) io.stdout.write(`${r.kind} ${r.public_key}\n`);
    });

  ca.command('rotate')
    .description('add a new key of one kind; it signs from the next start, and the old key stays published until "ca retire"')
    .addArgument(new Argument('<kind>', 'user, host or upstream').choices(['user', 'host', 'upstream']))
    .action(async (kind: CaKind, _o: unknown, command: Command) => {
      const config = globals(command);
      const key = await withStore(command, (s) => rotateKey({ db: s.database.db, audit: s.audit, keyDir: config.keyDir, clock: s.clock, kind }));
      io.stdout.write(`${key.kind} ${key.publicKey}\n`);
      io.stderr.write(`new ${kind} CA key ${key.fingerprint} in ${key.path}; restart the CA to sign with it, distribute the new public key, then retire the old one\n`);
    });

  ca.command('retire <fingerprint>')
    .description('stop publishing a CA key (SHA256:… as shown by "ca keys -l" or GET /v1/ca)')
    .action(async (fp: string, _o: unknown, command: Command) => {
      const kind = await withStore(command, (s) => retireKey({ db: s.database.db, audit: s.audit, clock: s.clock, fingerprint: fp, actor: cliActor() }));
      io.stdout.write(`retired ${kind} CA key ${fp}\n`);
    });

  const signCommand = (type: 'user' | 'host') => {
    const cmd = ca
      .command(`sign-${type}`)
      .description(`sign a ${type} certificate offline and print it on stdout`)
      .requiredOption('--public-key <file>', 'the OpenSSH public key to certify')
      .requiredOption('--principals <list>', type === 'user' ? 'comma-separated logins' : 'comma-separated host names and addresses')
      .requiredOption('--ttl <duration>', 'validity, e.g. 10m, 12h, 30d')
      .option('--key-id <id>', 'key id recorded in the certificate and in sshd logs');
    if (type === 'user') {
      cmd
        .option('--force-command <cmd>', 'critical option force-command')
        .option('--source-address <cidrs>', 'critical option source-address (comma-separated CIDRs)')
        .option('--verify-required', 'critical option verify-required (FIDO keys)')
        .addOption(new Option('--extensions <list>', 'comma-separated extensions (default permit-pty); "" for none'));
    }
    cmd.action(async (o: Record<string, string | boolean | undefined>, command: Command) => {
      const request: SignRequest = {
        type,
        publicKey: readPublicKeyFile(String(o['publicKey'])),
        principals: list(String(o['principals'])),
        ttl: String(o['ttl']),
        keyId: o['keyId'] as string | undefined,
      };
      if (type === 'user') {
        request.criticalOptions = { forceCommand: o['forceCommand'] as string | undefined, sourceAddress: o['sourceAddress'] as string | undefined, verifyRequired: o['verifyRequired'] === true };
        if (typeof o['extensions'] === 'string') request.extensions = list(o['extensions']);
      }
      const services = await openServices(globals(command), { say: say(io) });
      try {
        const issued = await services.authority.sign(request, { actor: cliActor(), remote: null });
        io.stdout.write(`${issued.certificate}\n`);
        io.stderr.write(`serial ${issued.serial}, valid ${issued.validAfter.toISOString()} to ${issued.validBefore.toISOString()}\n`);
      } finally {
        await services.close();
      }
    });
  };
  signCommand('user');
  signCommand('host');

  ca.command('revoke')
    .description('revoke certificates; sshd hosts pick it up from the KRL (GET /v1/krl or "ca krl")')
    .option('--serial <n>', 'one certificate by serial')
    .option('--serial-range <from-to>', 'a range of serials, e.g. 100-200')
    .option('--key-id <id>', 'every certificate with this key id')
    .option('--public-key <file>', 'a public key, in any certificate or on its own')
    .option('--reason <text>', 'why (kept in the audit log)', 'revoked')
    .action(async (o: { serial?: string; serialRange?: string; keyId?: string; publicKey?: string; reason: string }, command: Command) => {
      const target = revocationTarget(o);
      const id = await withStore(command, (s) =>
        createRevocations({ db: s.database.db, audit: s.audit, clock: s.clock }).revoke(target, o.reason, { actor: cliActor(), remote: null }),
      );
      io.stdout.write(`revocation ${id.id} recorded\n`);
    });

  ca.command('krl')
    .description('write the binary revocation list (OpenSSH KRL) to stdout or --output')
    .option('--output <file>', 'write here (mode 0644) instead of stdout')
    .action(async (o: { output?: string }, command: Command) => {
      if (!o.output && io.stdout.isTTY) throw new CommandFailed('the KRL is binary: redirect it (access-server ca krl > revoked.krl) or use --output FILE');
      const krl = await withStore(command, (s) => createRevocations({ db: s.database.db, audit: s.audit, clock: s.clock }).krl());
      if (o.output) writeFileSync(o.output, krl, { mode: 0o644 });
      else io.stdout.write(krl);
    });
}

function revocationTarget(o: { serial?: string; serialRange?: string; keyId?: string; publicKey?: string }): RevocationTarget {
  const given = [o.serial, o.serialRange, o.keyId, o.publicKey].filter((v) => v !== undefined);
  if (given.length !== 1) throw new CommandFailed('give exactly one of --serial, --serial-range, --key-id or --public-key');
  if (o.serial !== undefined) {
    if (!/^\d{1,20}$/.test(o.serial)) throw new CommandFailed('--serial takes a decimal number');
    return { serial: BigInt(o.serial) };
  }
  if (o.serialRange !== undefined) {
    const m = /^(\d{1,20})-(\d{1,20})$/.exec(o.serialRange);
    if (!m) throw new CommandFailed('--serial-range takes FROM-TO, e.g. 100-200');
    return { serialRange: [BigInt(m[1]!), BigInt(m[2]!)] };
  }
  if (o.keyId !== undefined) return { keyId: o.keyId };
  return { publicKey: readPublicKeyFile(o.publicKey!) };
}
