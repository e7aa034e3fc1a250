import type pg from 'pg';

/**
 * Bulk rows for the audit search bench, made in SQL (`insert … select generate_series`) so a
 * million load in seconds. Event g (1-based) is at `start + (g − 1) × step`; every hundredth
 * stretch of events holds one gateway session (start, exec or transfer, end) among CA events.
 * The hash chain is not valid (prev_hash/hash are placeholders): search never reads it.
 */

export interface BenchShape {
  events: number;
  /** events / 100: one session per hundred events. */
  sessions: number;
  users: number;
  hosts: number;
  start: Date;
  /** Milliseconds between events. */
  stepMs: number;
}

export const EVENTS_PER_SESSION_SLOT = 100;

export function benchShape(events: number, days: number, now: Date): BenchShape {
  const span = days * 86_400_000;
  return { events, sessions: Math.floor(events / EVENTS_PER_SESSION_SLOT), users: 200, hosts: 50, start: new Date(now.getTime() - span), stepMs: span / events };
}

/** Per mille of the CA events (not the session ones); cert.issued takes what is left. */
const MIX: ReadonlyArray<readonly [string, string, number]> = [
  ['login.completed', 'LG1000I', 120],
  ['user.login', 'US1000I', 100],
  ['auth.denied', 'AU1000W', 80],
  ['cert.denied', 'CA1001W', 40],
  ['port.forward', 'SE3000I', 40],
  ['session.denied', 'SE1003W', 30],
  ['login.denied', 'LG1001W', 20],
  ['user.login.denied', 'US1001W', 20],
  ['session.recording.read', 'SE4000I', 10],
  ['grant.created', 'RB2000I', 10],
  ['grant.revoked', 'RB2001I', 5],
  ['token.created', 'TK1000I', 5],
  ['host.updated', 'HS1001I', 5],
  ['port.forward.denied', 'SE3001W', 5],
  ['token.revoked', 'TK1001I', 3],
  ['role.updated', 'RB1001I', 3],
  ['cert.revoked', 'CA1002I', 2],
  ['session.interrupted', 'SE1004W', 2],
];

/** A CASE over the per-mille bucket b: which CA event type, or its code. */
function mixCase(column: 0 | 1): string {
  let upTo = 0;
  const arms = MIX.map((entry) => `when b < ${(upTo += entry[2])} then '${entry[column]}'`);
  return `case ${arms.join(' ')} else '${column === 0 ? 'cert.issued' : 'CA1000I'}' end`;
}

export const COMMANDS = ['uptime', 'sudo systemctl restart nginx', 'tail -n 200 /var/log/syslog', 'psql -c "select count(*) from orders"', 'df -h', './deploy.sh --env=prod'];
const commandSql = (k: string) => `(array[${COMMANDS.map((c) => `'${c.replaceAll("'", "''")}'`).join(',')}])[1 + ${k} % ${COMMANDS.length}]`;
const userSql = (u: string) => `jsonb_build_object('kind', 'user', 'id', 'usr_' || lpad(${u}::text, 4, '0'), 'name', 'user' || ${u} || '@example.com')`;
const email = `'user' || u || '@example.com'`;

/**
 * Events lo..hi. Per g: k = session slot, r = position in it, u = the acting user (the
 * session's user su in a session's events), b = per-mille bucket for the CA event type.
 * Session k starts at r = off, execs (or transfers a file) at off + 1, ends at off + 3 + len.
 */
export function insertEventsSql(shape: BenchShape, lo: number, hi: number): { text: string; values: unknown[] } {
  const session = `'sessionId', 'ses_' || lpad(to_hex(k), 20, '0'), 'connectionId', 'conn_' || k, 'login', 'user' || u, 'host', 'web-' || (k % ${shape.hosts})`;
  const text = `
    insert into audit_events (seq, id, time, type, code, actor, remote, details, prev_hash, hash)
    select g, md5(g::text)::uuid::text, $1::timestamptz + (g - 1) * $2::interval, type, code,
      case when b >= 960 and type = 'cert.issued' then jsonb_build_object('kind', 'token', 'id', 'tok_ci' || (g % 5), 'name', 'CI deploy ' || (g % 5))
           when type = 'auth.denied' and g % 4 = 0 then jsonb_build_object('kind', 'anonymous', 'id', 'anonymous')
           else ${userSql('u')} end,
      '10.' || (u / 100) || '.' || (u % 100) || '.' || (10 + g % 3),
      case type
        when 'session.start' then jsonb_build_object(${session}, 'kind', case when k % 3 = 1 then 'exec' when k % 3 = 2 then 'subsystem' else 'shell' end, 'pty', k % 3 = 0, 'upstreamSerial', (k * 7)::text)
        when 'session.exec' then jsonb_build_object(${session}, 'command', ${commandSql('k')})
        when 'file.transfer' then jsonb_build_object(${session}, 'direction', 'upload', 'path', '/srv/app/release-' || k || '.tar.gz', 'bytes', 1048576 + k)
        when 'session.end' then jsonb_build_object(${session}, 'bytesIn', k * 13, 'bytesOut', k * 1031, 'durationMs', len * $3::bigint, 'exitStatus', k % 7, 'reason', 'exit')
        when 'login.completed' then jsonb_build_object('loginId', 'lgn_' || g, 'mode', 'browser', 'serial', g::text, 'principals', jsonb_build_array('user' || u, 'deploy'), 'roles', jsonb_build_array('dev'))
        when 'user.login' then jsonb_build_object('userId', 'usr_' || lpad(u::text, 4, '0'), 'email', ${email}, 'groups', jsonb_build_array('eng'))
        when 'auth.denied' then jsonb_build_object('route', '/v1/certs/user', 'method', 'POST', 'reason', 'invalid, expired or revoked token')
        when 'cert.denied' then jsonb_build_object('certType', 'user', 'code', 'ERR_PRINCIPAL_NOT_GRANTED', 'reason', 'principal root is not granted to ' || ${email}, 'principals', jsonb_build_array('root'))
        when 'session.denied' then jsonb_build_object('code', 'ERR_NOT_GRANTED', 'reason', 'no grant lets ' || ${email} || ' log in as root', 'login', 'root', 'destination', 'db-' || (g % 20) || ':22')
        when 'port.forward' then jsonb_build_object('connectionId', 'conn_' || g, 'login', 'user' || u, 'host', 'web-' || (g % ${shape.hosts}), 'destination', 'localhost:5432')
        else jsonb_build_object('certType', 'user', 'serial', g::text, 'keyId', ${email}, 'principals', jsonb_build_array('user' || u, 'deploy'), 'ttl', '8h')
      end,
      md5((g - 1)::text) || md5('prev' || (g - 1)), md5(g::text) || md5('prev' || g)
    from (
      select g, k, len, b, case when stype is null then uu else su end as u,
        coalesce(stype, ${mixCase(0)}) as type, coalesce(scode, ${mixCase(1)}) as code
      from (
        select g, k, len, b, uu, su,
          case when r = off then 'session.start' when r = off + 1 and k % 3 = 1 then 'session.exec' when r = off + 1 and k % 3 = 2 then 'file.transfer'
               when r = off + 3 + len then 'session.end' end as stype,
          case when r = off then 'SE1000I' when r = off + 1 and k % 3 = 1 then 'SE1001I' when r = off + 1 and k % 3 = 2 then 'SE2000I'
               when r = off + 3 + len then 'SE1002I' end as scode
        from (
          select g, (g - 1) / 100 as k, (g - 1) % 100 as r, ((g - 1) / 100 * 37) % 50 as off, ((g - 1) / 100 * 13) % 45 as len,
            ((g * 7919) % ${shape.users})::int as uu, (((g - 1) / 100 * 31) % ${shape.users})::int as su, ((g * 2654435761) % 1000)::int as b
          from generate_series($4::bigint, $5::bigint) as g
        ) slots
      ) typed
    ) events`;
  return { text, values: [shape.start, `${shape.stepMs} milliseconds`, Math.round(shape.stepMs), lo, hi] };
}

/** The sessions the session events describe, one per slot, with the same user, host and times. */
export function insertSessionsSql(shape: BenchShape, gatewayId: string): { text: string; values: unknown[] } {
  const at = (slot: string) => `$1::timestamptz + (k * 100 + ${slot}) * $2::interval`;
  const text = `
    insert into sessions (id, connection_id, gateway_id, user_id, user_email, login, host, host_address, client_address, kind, command,
      term, cols, rows, status, started_at, ended_at, exit_status, end_reason, bytes_in, bytes_out, recorded_until)
    select 'ses_' || lpad(to_hex(k), 20, '0'), 'conn_' || k, $3, 'usr_' || lpad(su::text, 4, '0'), 'user' || su || '@example.com', 'user' || su,
      'web-' || (k % ${shape.hosts}), '10.1.0.' || (k % ${shape.hosts}) || ':22', '10.' || (su / 100) || '.' || (su % 100) || '.10',
      case when k % 3 = 1 then 'exec' when k % 3 = 2 then 'subsystem' else 'shell' end,
      case when k % 3 = 1 then ${commandSql('k')} end,
      case when k % 3 = 0 then 'xterm-256color' end, case when k % 3 = 0 then 120 end, case when k % 3 = 0 then 40 end,
      'ended', ${at('off')}, ${at('off + 3 + len')}, k % 7, 'exit', k * 13, k * 1031, ${at('off + 3 + len')}
    from (select k, (k * 37) % 50 as off, (k * 13) % 45 as len, ((k * 31) % ${shape.users})::int as su from generate_series(0, $4::int - 1) as k) s`;
  return { text, values: [shape.start, `${shape.stepMs} milliseconds`, gatewayId, shape.sessions] };
}

/** Loads events in batches (progress between them) and moves the chain head past them. */
export async function loadEvents(client: pg.Client, shape: BenchShape, batch: number, progress: (line: string) => void): Promise<void> {
  for (let lo = 1; lo <= shape.events; lo += batch) {
    const hi = Math.min(shape.events, lo + batch - 1);
    const { text, values } = insertEventsSql(shape, lo, hi);
    await client.query(text, values);
    progress(`audit events ${hi.toLocaleString('en-US')} / ${shape.events.toLocaleString('en-US')}`);
  }
  await client.query(`update audit_head set seq = $1::bigint, hash = md5($2::text) || md5('prev' || $2::text) where id = 1`, [shape.events, String(shape.events)]);
}
