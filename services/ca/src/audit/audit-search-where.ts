import { AUDIT_EVENT_CODES, type AuditEventType } from '@access/audit';
import type { Database, Db } from '@access/db';
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { AuditFilter } from './audit-search.ts';

/**
 * The filter as SQL over audit_events, written so that PostgreSQL walks one index ending in
 * seq (0001 and 0007 create them) instead of reading every event in a time range.
 */

/**
 * Times are searched through seq: an append reads the clock while it holds the chain's lock,
 * so time grows with seq. Processes whose clocks differ (several CAs, gateways) break that a
 * little; the seq bounds are taken this much wider than the time range, which keeps them
 * exact as long as no two appending clocks are more than half of it apart.
 */
export const CLOCK_SLACK_MS = 10 * 60_000;

/** What one round trip learns before the search: seq bounds, the newest seq, how to match the actor. */
export interface SearchBounds {
  /** Exclusive seq bounds that hold every event of [since, until); undefined = unbounded. */
  above?: bigint | undefined;
  below?: bigint | undefined;
  /** The newest seq (0 when the log is empty). */
  head: bigint;
  /** Which of actor id and actor name the actor filter matches in any event at all. */
  actorBy: { id: boolean; name: boolean };
}

const codeTypes: ReadonlyMap<string, AuditEventType> = new Map(
  Object.entries(AUDIT_EVENT_CODES).map(([type, code]) => [code, type as AuditEventType]),
);

const ACTOR_ID = sql<string>`(actor->>'id')`;
const ACTOR_NAME = sql<string>`(actor->>'name')`;

/**
 * Index lookups, in one statement: the newest event from before since − slack and the oldest
 * from after until + slack (every event of the range lies strictly between them), the head,
 * and whether the actor appears as an id and as a name. Knowing that turns "id = x or name = x",
 * which no ordered index serves, into one equality that one does.
 */
export async function searchBounds(db: Db, filter: AuditFilter): Promise<SearchBounds> {
  const { since, until, actor } = filter;
  const none = sql<null>`null`;
  const row = await db
    .selectNoFrom((eb) => [
      (since
        ? eb.selectFrom('audit_events').select('seq').where('time', '<', new Date(since.getTime() - CLOCK_SLACK_MS)).orderBy('time', 'desc').orderBy('seq', 'desc').limit(1)
        : none
      ).as('above'),
      (until
        ? eb.selectFrom('audit_events').select('seq').where('time', '>=', new Date(until.getTime() + CLOCK_SLACK_MS)).orderBy('time', 'asc').orderBy('seq', 'asc').limit(1)
        : none
      ).as('below'),
      eb.selectFrom('audit_events').select('seq').orderBy('seq', 'desc').limit(1).as('head'),
      exists(actor === undefined ? undefined : eb.selectFrom('audit_events').select('seq').where(ACTOR_ID, '=', actor)).as('by_id'),
      exists(actor === undefined ? undefined : eb.selectFrom('audit_events').select('seq').where(ACTOR_NAME, '=', actor)).as('by_name'),
    ])
    .executeTakeFirstOrThrow();
  return {
    above: row.above ?? undefined,
    below: row.below ?? undefined,
    head: row.head ?? 0n,
    actorBy: { id: Boolean(row.by_id), name: Boolean(row.by_name) },
  };
}

const exists = (query: Expression<unknown> | undefined) => (query ? sql<boolean>`exists (${query})` : sql<boolean>`false`);

/** Whether the bounds already show that nothing can match. */
export function matchesNothing(filter: AuditFilter, bounds: SearchBounds): boolean {
  return filter.actor !== undefined && !bounds.actorBy.id && !bounds.actorBy.name;
}

/** Every condition of the filter but the text, ANDed; the cursor and the time's seq bounds included. */
export function filterWhere(filter: AuditFilter, bounds: SearchBounds) {
  return (eb: ExpressionBuilder<Database, 'audit_events'>): Expression<SqlBool> => {
    const and: Array<Expression<SqlBool>> = [];
    const types = filter.types ?? [];
    if (types.length === 1) and.push(eb('type', '=', types[0]!));
    if (types.length > 1) and.push(eb('type', 'in', types));
    if (filter.code !== undefined) {
      and.push(eb('code', '=', filter.code));
      // A published code belongs to one type forever: saying so lets the (type, seq) index serve it.
      const type = codeTypes.get(filter.code);
      if (type !== undefined) and.push(eb('type', '=', type));
    }
    if (filter.actor !== undefined) {
      const { id, name } = bounds.actorBy;
      const byId = eb(ACTOR_ID, '=', filter.actor);
      const byName = eb(ACTOR_NAME, '=', filter.actor);
      and.push(id && name ? eb.or([byId, byName]) : id ? byId : byName);
    }
    if (filter.remote !== undefined) and.push(eb('remote', '=', filter.remote));
    if (filter.sessionId !== undefined) and.push(eb(sql<string>`(details->>'sessionId')`, '=', filter.sessionId));
    if (filter.since !== undefined) and.push(eb('time', '>=', filter.since));
    if (filter.until !== undefined) and.push(eb('time', '<', filter.until));
    if (bounds.above !== undefined) and.push(eb('seq', '>', bounds.above));
    if (bounds.below !== undefined) and.push(eb('seq', '<', bounds.below));
    if (filter.before !== undefined) and.push(eb('seq', '<', filter.before));
    if (filter.after !== undefined) and.push(eb('seq', '>', filter.after));
    return eb.and(and);
  };
}

/**
 * The text as it appears in jsonb's output: a quote, a backslash or a control character in
 * the needle is matched in its escaped form, the way it is stored.
 */
export function textNeedle(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/**
 * Whether the event's actor or details hold the needle (keys included), in any case. Both
 * sides go through the database's lower(), so exact case always matches; beyond ASCII, case
 * folding is what the database's LC_CTYPE does (none under the C locale).
 */
export const textMatch = (needle: string) => sql<boolean>`strpos(lower(actor::text || ' ' || details::text), lower(${needle})) > 0`;
