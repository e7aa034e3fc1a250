import type { Db } from '@access/db';
import { GENESIS_HASH } from '../canonical.ts';
import type { AuditEventInput } from '../event-types.ts';

/** Empties the chain, so tests in one file can share a database. */
export async function resetAuditTables(db: Db): Promise<void> {
  await db.deleteFrom('audit_events').execute();
  await db.updateTable('audit_head').set({ seq: 0n, hash: GENESIS_HASH }).where('id', '=', 1).execute();
}

export function issuedEvent(n: number): AuditEventInput {
  return {
    type: 'cert.issued',
    actor: { kind: 'user', id: `user-${n}`, name: `User ${n}` },
    remote: '192.0.2.10',
    details: { serial: BigInt(n), principals: ['deploy', 'ops'], note: `event ${n}` },
  };
}
