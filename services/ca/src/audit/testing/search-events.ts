import { createAuditLog, type AuditActor, type AuditEventInput, type AuditEventType, type AuditRecord } from '@access/audit';
import type { Db } from '@access/db';
import type { AuditFilter } from '../audit-search.ts';

/** A small audit log with every filter's values spread over it, and the filter read in JS. */

export const BASE_TIME = Date.parse('2030-01-01T00:00:00Z');
const HOUR = 3_600_000;

export const ALICE: AuditActor = { kind: 'user', id: 'usr_alice', name: 'alice@example.com' };
export const BOB: AuditActor = { kind: 'user', id: 'usr_bob', name: 'bob@example.com' };
export const CI: AuditActor = { kind: 'token', id: 'tok_ci', name: 'CI deploy' };
export const SYSTEM: AuditActor = { kind: 'system', id: 'access-server' };

const ACTORS = [ALICE, BOB, CI, ALICE, SYSTEM];
const TYPES: AuditEventType[] = ['session.start', 'cert.issued', 'session.end', 'auth.denied', 'user.login', 'file.transfer', 'cert.denied'];

export const sessionId = (n: number) => `ses_${n.toString(16).padStart(20, '0')}`;

/** Event i of `count`: an hour after the one before, from BASE_TIME. */
export function searchEvent(i: number): AuditEventInput {
  const type = TYPES[i % TYPES.length]!;
  const actor = ACTORS[i % ACTORS.length]!;
  const notes = ['routine', 'Deploy to PROD', 'say "hi" to C:\\ops', '100%_done', 'ünïcode Straße'];
  const details: Record<string, unknown> = { note: notes[i % notes.length], n: i };
  if (type.startsWith('session.') || type === 'file.transfer') details['sessionId'] = sessionId(Math.floor(i / 5));
  return { type, actor, remote: actor.kind === 'system' ? null : `192.0.2.${i % 3}`, details };
}

/** Appends `count` events through the real audit log, one hour apart (or by `hours(i)`). */
export async function appendSearchEvents(db: Db, count: number, hours: (i: number) => number = (i) => i): Promise<AuditRecord[]> {
  let i = 0;
  const log = createAuditLog(db, () => new Date(BASE_TIME + hours(i) * HOUR));
  const records: AuditRecord[] = [];
  for (; i < count; i++) records.push(await log.append(searchEvent(i)));
  return records;
}

export const hoursAfterBase = (h: number) => new Date(BASE_TIME + h * HOUR);

/**
 * What the search should return, read in JS over every record. Text is compared with the JSON
 * text of actor and details, which agrees with jsonb's for needles inside one string value.
 */
export function expected(records: readonly AuditRecord[], f: AuditFilter): bigint[] {
  const needle = f.text === undefined ? undefined : JSON.stringify(f.text).slice(1, -1).toLowerCase();
  // (ASCII needles only: the database lowercases beyond ASCII as its locale does.)
  const kept = records.filter(
    (r) =>
      (!f.types?.length || f.types.includes(r.type)) &&
      (f.code === undefined || r.code === f.code) &&
      (f.actor === undefined || r.actor.id === f.actor || r.actor.name === f.actor) &&
      (f.remote === undefined || r.remote === f.remote) &&
      (f.sessionId === undefined || r.details['sessionId'] === f.sessionId) &&
      (f.since === undefined || r.time >= f.since) &&
      (f.until === undefined || r.time < f.until) &&
      (f.before === undefined || r.seq < f.before) &&
      (f.after === undefined || r.seq > f.after) &&
      (needle === undefined || `${JSON.stringify(r.actor)} ${JSON.stringify(r.details)}`.toLowerCase().includes(needle)),
  );
  const seqs = kept.map((r) => r.seq);
  return f.after === undefined ? seqs.reverse() : seqs;
}
