import { randomBytes } from 'node:crypto';
import type { Db, SessionsTable } from '@access/db';
import type { Insertable } from 'kysely';

/** Sessions and recording chunks written straight into the tables, as a gateway would. */

export async function insertGateway(db: Db, now = new Date()): Promise<string> {
  const id = `gw_${randomBytes(8).toString('hex')}`;
  await db.insertInto('gateways').values({ id, address: '127.0.0.1:2022', started_at: now, heartbeat_at: now }).execute();
  return id;
}

export async function insertSession(db: Db, gatewayId: string, fields: Partial<Insertable<SessionsTable>> = {}): Promise<string> {
  const id = fields.id ?? `ses_${randomBytes(10).toString('hex')}`;
  await db
    .insertInto('sessions')
    .values({
      id,
      connection_id: 'conn_1',
      gateway_id: gatewayId,
      user_id: 'usr_alice',
      user_email: 'alice@example.com',
      login: 'alice',
      host: 'web-1',
      host_address: '10.0.0.1:22',
      client_address: '192.0.2.7',
      kind: 'shell',
      term: 'xterm-256color',
      cols: 120,
      rows: 40,
      status: 'ended',
      started_at: new Date('2030-01-01T10:00:00Z'),
      ...fields,
    })
    .execute();
  return id;
}

/** Chunks `seq` 0, 1, … holding these event lines (each chunk's lines joined by newlines). */
export async function insertChunks(db: Db, sessionId: string, chunks: readonly string[][]): Promise<void> {
  for (const [seq, lines] of chunks.entries()) {
    await db
      .insertInto('session_chunks')
      .values({ session_id: sessionId, seq, events: lines.join('\n'), event_count: lines.length, last_time: seq, created_at: new Date() })
      .execute();
  }
}
