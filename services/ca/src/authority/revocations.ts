import type { AuditLog } from '@access/audit';
import { LOCKS_CHANNEL, notify, type Db, type RevokeNotice } from '@access/db';
import { encodeKrl, fingerprint, parsePublicKey, type KrlCertificateSection, type SshPublicKey } from '@access/sshcert';
import { badRequest, notFound } from '../errors.ts';
import type { RequestContext } from './authority.ts';

export type RevocationTarget =
  | { serial: bigint }
  | { serialRange: readonly [bigint, bigint] }
  | { keyId: string }
  | { publicKey: string };

export interface Revocations {
  revoke(target: RevocationTarget, reason: string, context: RequestContext): Promise<{ id: bigint }>;
  /** The whole revocation list in OpenSSH's binary KRL format, for sshd's `RevokedKeys`. */
  krl(): Promise<Buffer>;
}

const MAX_SERIAL = 0xffff_ffff_ffff_ffffn;

export function createRevocations(deps: { db: Db; audit: AuditLog; clock: () => Date }): Revocations {
  const { db, audit, clock } = deps;

  return {
    async revoke(target, reason, context) {
      const row = await describe(db, target);
      return await db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('revocations')
          .values({ ...row, reason, created_by: `${context.actor.kind}:${context.actor.id}`, created_at: clock() })
          .returning('id')
          .executeTakeFirstOrThrow();
        await audit.append(
          {
            type: 'cert.revoked',
            actor: context.actor,
            remote: context.remote,
            details: {
              kind: row.kind,
              caFingerprint: row.ca_fingerprint,
              serialFrom: row.serial_from?.toString() ?? null,
              serialTo: row.serial_to?.toString() ?? null,
              keyId: row.key_id,
              publicKey: row.public_key,
              reason,
            },
          },
          trx,
        );
        // Every gateway ends the live connections this covers, once it is committed.
        await notify(trx, LOCKS_CHANNEL, JSON.stringify(revokeNotice(row, reason)));
        return { id: inserted.id };
      });
    },

    async krl() {
      const [keys, revoked] = await Promise.all([
        db.selectFrom('ca_keys').select(['fingerprint', 'public_key']).orderBy('fingerprint').execute(),
        db.selectFrom('revocations').selectAll().orderBy('id').execute(),
      ]);
      const sections = new Map<string, { caKey: SshPublicKey; serials: bigint[]; serialRanges: Array<readonly [bigint, bigint]>; keyIds: string[] }>();
      for (const key of keys) {
        sections.set(key.fingerprint, { caKey: parsePublicKey(key.public_key), serials: [], serialRanges: [], keyIds: [] });
      }
      const revokedKeys: SshPublicKey[] = [];
      for (const r of revoked) {
        if (r.kind === 'key') {
          revokedKeys.push(parsePublicKey(r.public_key!));
          continue;
        }
        // A revocation not tied to one CA applies to certificates from every CA key we have held.
        const targets = r.ca_fingerprint ? [sections.get(r.ca_fingerprint)] : [...sections.values()];
        for (const section of targets) {
          if (!section) continue;
          if (r.kind === 'serial') section.serials.push(r.serial_from!);
          else if (r.kind === 'serial_range') section.serialRanges.push([r.serial_from!, r.serial_to!]);
          else section.keyIds.push(r.key_id!);
        }
      }
      const certificates: KrlCertificateSection[] = [...sections.values()].filter(
        (s) => s.serials.length + s.serialRanges.length + s.keyIds.length > 0,
      );
      const last = revoked.at(-1);
      return encodeKrl({
        version: last ? last.id : 0n,
        generatedAt: BigInt(Math.floor(clock().getTime() / 1000)),
        comment: 'access revocation list',
        certificates,
        revokedKeys,
      });
    },
  };
}

type RevocationRow = Awaited<ReturnType<typeof describe>>;

function revokeNotice(row: RevocationRow, reason: string): RevokeNotice {
  return {
    kind: 'revoke',
    revocation: row.kind,
    caFingerprint: row.ca_fingerprint,
    serialFrom: row.serial_from?.toString() ?? null,
    serialTo: row.serial_to?.toString() ?? null,
    keyId: row.key_id,
    keyFingerprint: row.public_key ? fingerprint(Buffer.from(row.public_key.split(' ')[1]!, 'base64')) : null,
    // A notice must stay under PostgreSQL's 8000 bytes; the full reason is in the table and the audit log.
    reason: reason.slice(0, 1000),
  };
}

async function describe(db: Db, target: RevocationTarget) {
  const empty = { ca_fingerprint: null, serial_from: null, serial_to: null, key_id: null, public_key: null };
  if ('serial' in target) {
    if (target.serial <= 0n || target.serial > MAX_SERIAL) throw badRequest('ERR_BAD_SERIAL', 'serial must be between 1 and 2^64-1');
    const cert = await db.selectFrom('certificates').select('ca_fingerprint').where('serial', '=', target.serial).executeTakeFirst();
    if (!cert) throw notFound('ERR_UNKNOWN_SERIAL', `no certificate with serial ${target.serial} was issued by this CA`);
    return { ...empty, kind: 'serial' as const, ca_fingerprint: cert.ca_fingerprint, serial_from: target.serial };
  }
  if ('serialRange' in target) {
    const [from, to] = target.serialRange;
    if (from <= 0n || to > MAX_SERIAL || from > to) throw badRequest('ERR_BAD_SERIAL', 'a serial range must be FROM-TO with 1 <= FROM <= TO < 2^64');
    return { ...empty, kind: 'serial_range' as const, serial_from: from, serial_to: to };
  }
  if ('keyId' in target) {
    if (target.keyId.length === 0 || target.keyId.length > 256) throw badRequest('ERR_BAD_KEY_ID', 'keyId must be 1 to 256 characters');
    return { ...empty, kind: 'key_id' as const, key_id: target.keyId };
  }
  const key = parsePublicKey(target.publicKey);
  return { ...empty, kind: 'key' as const, public_key: `${key.type} ${key.blob.toString('base64')}` };
}
