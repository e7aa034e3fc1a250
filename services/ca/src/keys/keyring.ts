import type { CaKind, Db } from '@access/db';
import type { AuditLog } from '@access/audit';
import { fingerprint, formatPublicKey, loadCaKey, type CaSigner } from '@access/sshcert';
import { readKeyFiles, KeyFileError } from './key-files.ts';

export const CA_KINDS: readonly CaKind[] = ['user', 'host', 'upstream'];

export interface PublishedKey {
  kind: CaKind;
  publicKey: string;
  fingerprint: string;
  createdAt: Date;
}

/**
 * The CA keys this process can sign with (private halves, in memory only) and the keys it
 * publishes (every active key in the database, including ones whose private half lives on
 * another instance or was rotated out but not yet retired).
 */
export interface Keyring {
  signer(kind: CaKind): CaSigner;
  signerFingerprint(kind: CaKind): string;
  published(): Promise<PublishedKey[]>;
}

/**
 * Loads the key files, registers any the database does not know yet, and picks for each
 * kind the newest active key whose private half is here.
 */
export async function loadKeyring(options: {
  db: Db;
  audit: AuditLog;
  keyDir: string;
  now: () => Date;
}): Promise<Keyring> {
  const { db, audit } = options;
  const loaded = new Map<string, { kind: CaKind; signer: CaSigner }>();
  for (const file of readKeyFiles(options.keyDir)) {
    let signer: CaSigner;
    try {
      signer = loadCaKey(file.text);
    } catch (error) {
      throw new KeyFileError(`${file.path}: ${(error as Error).message}`, { cause: error });
    }
    loaded.set(fingerprint(signer.publicKey.blob), { kind: file.kind, signer });
  }

  const rows = await db.selectFrom('ca_keys').selectAll().execute();
  const known = new Map(rows.map((r) => [r.fingerprint, r]));
  for (const [fp, { kind, signer }] of loaded) {
    const row = known.get(fp);
    if (row && row.kind !== kind) {
      throw new KeyFileError(`the key ${fp} is registered as the ${row.kind} CA but its file names it the ${kind} CA`);
    }
    if (!row) {
      await registerKey(db, audit, kind, formatPublicKey(signer.publicKey, `access ${kind} CA`), fp, options.now());
    }
  }

  const active = await db
    .selectFrom('ca_keys')
    .selectAll()
    .where('status', '=', 'active')
    .orderBy('created_at', 'desc')
    .orderBy('fingerprint')
    .execute();
  const signers = new Map<CaKind, { signer: CaSigner; fingerprint: string }>();
  for (const kind of CA_KINDS) {
    const newest = active.find((r) => r.kind === kind && loaded.has(r.fingerprint));
    if (!newest) {
      throw new KeyFileError(
        `no active ${kind} CA private key in ${options.keyDir}: run "access-server ca init" (or provide the ${kind}-ca credential)`,
      );
    }
    signers.set(kind, { signer: loaded.get(newest.fingerprint)!.signer, fingerprint: newest.fingerprint });
  }

  return {
    signer: (kind) => signers.get(kind)!.signer,
    signerFingerprint: (kind) => signers.get(kind)!.fingerprint,
    published: async () => {
      const rows = await db
        .selectFrom('ca_keys')
        .selectAll()
        .where('status', '=', 'active')
        .orderBy('created_at')
        .orderBy('fingerprint')
        .execute();
      return rows.map((r) => ({ kind: r.kind, publicKey: r.public_key, fingerprint: r.fingerprint, createdAt: r.created_at }));
    },
  };
}

export async function registerKey(db: Db, audit: AuditLog, kind: CaKind, publicKey: string, fp: string, now: Date): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('ca_keys').values({ fingerprint: fp, kind, public_key: publicKey, status: 'active', created_at: now }).execute();
    await audit.append({ type: 'ca.key.created', actor: { kind: 'system', id: 'access-server' }, details: { kind, fingerprint: fp, publicKey } }, trx);
  });
}
