import type { AuditActor, AuditLog } from '@access/audit';
import type { CaKind, Db } from '@access/db';
import { fingerprint, formatPublicKey, generateCaKey } from '@access/sshcert';
import { conflict, notFound } from '../errors.ts';
import { writeKeyFile } from './key-files.ts';
import { CA_KINDS, registerKey } from './keyring.ts';

export interface CreatedKey {
  kind: CaKind;
  fingerprint: string;
  publicKey: string;
  path: string;
}

async function createKey(db: Db, audit: AuditLog, keyDir: string, kind: CaKind, now: Date): Promise<CreatedKey> {
  const { signer, privateKeyText } = generateCaKey(`access ${kind} CA`);
  const publicKey = formatPublicKey(signer.publicKey, `access ${kind} CA`);
  const fp = fingerprint(signer.publicKey.blob);
  const path = writeKeyFile(keyDir, kind, privateKeyText, now);
  await registerKey(db, audit, kind, publicKey, fp, now);
  return { kind, fingerprint: fp, publicKey, path };
}

/** Generates a key for each kind that has no active key (all three on a new CA). */
export async function initKeys(options: { db: Db; audit: AuditLog; keyDir: string; clock: () => Date; onlyMissing: boolean }): Promise<CreatedKey[]> {
  const { db, audit, keyDir, clock } = options;
  const active = await db.selectFrom('ca_keys').select('kind').where('status', '=', 'active').execute();
  const missing = CA_KINDS.filter((kind) => !active.some((r) => r.kind === kind));
  if (missing.length === 0 && !options.onlyMissing) {
    throw conflict('ERR_ALREADY_INITIALIZED', 'this CA already has its keys; use "access-server ca rotate <kind>" to add a new one');
  }
  const created: CreatedKey[] = [];
  for (const kind of missing) created.push(await createKey(db, audit, keyDir, kind, clock()));
  return created;
}

/** Adds a new key of one kind; it signs from the next start on, and the old one stays published until retired. */
export async function rotateKey(options: { db: Db; audit: AuditLog; keyDir: string; clock: () => Date; kind: CaKind }): Promise<CreatedKey> {
  return createKey(options.db, options.audit, options.keyDir, options.kind, options.clock());
}

/** Stops publishing a key. The last active key of a kind cannot be retired. */
export async function retireKey(options: { db: Db; audit: AuditLog; clock: () => Date; fingerprint: string; actor: AuditActor }): Promise<CaKind> {
  const { db, audit } = options;
  return await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('ca_keys').selectAll().where('fingerprint', '=', options.fingerprint).forUpdate().executeTakeFirst();
    if (!row || row.status !== 'active') throw notFound('ERR_UNKNOWN_KEY', `no active CA key with fingerprint ${options.fingerprint}; see "access-server ca keys"`);
    const others = await trx.selectFrom('ca_keys').select('fingerprint').where('kind', '=', row.kind).where('status', '=', 'active').where('fingerprint', '!=', row.fingerprint).execute();
    if (others.length === 0) throw conflict('ERR_LAST_KEY', `${options.fingerprint} is the only active ${row.kind} CA key; rotate first`);
    await trx.updateTable('ca_keys').set({ status: 'retired', retired_at: options.clock() }).where('fingerprint', '=', row.fingerprint).execute();
    await audit.append({ type: 'ca.key.retired', actor: options.actor, details: { kind: row.kind, fingerprint: row.fingerprint } }, trx);
    return row.kind;
  });
}
