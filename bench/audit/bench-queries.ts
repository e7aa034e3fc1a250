import type { BenchShape } from './event-rows.ts';

/**
 * What the bench asks, as request URLs. Each repetition draws its own values (another user,
 * day, session or cursor) from a seeded generator, so a query is not one cached page asked
 * again and again, and every run asks the same.
 */
export interface BenchQuery {
  name: string;
  url: (pick: Pick) => string;
}

export interface Pick {
  /** A whole number in [0, n). */
  int(n: number): number;
}

export function seededPick(seed: number): Pick {
  let state = seed >>> 0;
  return {
    int(n) {
      // mulberry32
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
    },
  };
}

const DAY = 86_400_000;
const q = (params: Record<string, string | number>) => `?${new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString()}`;

export function auditQueries(shape: BenchShape): BenchQuery[] {
  const days = Math.max(1, Math.floor((shape.events * shape.stepMs) / DAY));
  const seq = (p: Pick) => 1 + p.int(shape.events);
  const email = (p: Pick) => `user${p.int(shape.users)}@example.com`;
  const userId = (p: Pick) => `usr_${String(p.int(shape.users)).padStart(4, '0')}`;
  const session = (p: Pick) => `ses_${p.int(shape.sessions).toString(16).padStart(20, '0')}`;
  const remote = (p: Pick) => {
    const u = p.int(shape.users);
    return `10.${Math.floor(u / 100)}.${u % 100}.${10 + p.int(3)}`;
  };
  const range = (p: Pick, length: number) => {
    const from = shape.start.getTime() + p.int(Math.max(1, days - Math.round(length / DAY) + 1)) * DAY;
    return { since: new Date(from).toISOString(), until: new Date(from + length).toISOString() };
  };
  const audit = (name: string, url: (p: Pick) => Record<string, string | number>): BenchQuery => ({ name, url: (p) => `/v1/audit${q(url(p))}` });
  return [
    audit('first page, no filter', () => ({})),
    audit('first page, limit=1000', () => ({ limit: 1000 })),
    audit('deep page: before=<random seq>', (p) => ({ before: seq(p) })),
    audit('oldest first: after=<random seq>', (p) => ({ after: seq(p) })),
    audit('type=cert.issued (half the log)', () => ({ type: 'cert.issued' })),
    audit('type=session.start (1 %)', (p) => ({ type: 'session.start', before: seq(p) })),
    audit('type: 3 warnings (15 %), deep page', (p) => ({ type: 'auth.denied,cert.denied,session.denied', before: seq(p) })),
    audit('type: 3 rare ones (0.8 %)', () => ({ type: 'cert.revoked,session.interrupted,role.updated' })),
    audit('code=CA1001W', () => ({ code: 'CA1001W' })),
    audit('actor=<email>', (p) => ({ actor: email(p) })),
    audit('actor=<user id>, deep page', (p) => ({ actor: userId(p), before: seq(p) })),
    audit('actor=<unknown>', (p) => ({ actor: `nobody${p.int(1000)}@example.com` })),
    audit('since/until: one day', (p) => range(p, DAY)),
    audit('since/until: one week', (p) => range(p, 7 * DAY)),
    audit('since: last 24 hours', () => ({ since: new Date(shape.start.getTime() + days * DAY - DAY).toISOString() })),
    audit('session=<id>', (p) => ({ session: session(p) })),
    audit('remote=<address>', (p) => ({ remote: remote(p) })),
    audit('text, frequent ("deploy")', () => ({ text: 'deploy' })),
    audit('text, rare ("restart nginx")', (p) => ({ text: 'restart nginx', before: seq(p) })),
    audit('text, no match (bound reached)', (p) => ({ text: `no such text ${p.int(1000)}` })),
    audit('text + type=cert.denied', (p) => ({ text: email(p).replace('@example.com', '@'), type: 'cert.denied' })),
    audit('text + actor', (p) => ({ text: 'nginx', actor: email(p) })),
    audit('type + actor', (p) => ({ type: 'cert.issued', actor: userId(p) })),
    audit('type=session.start + one day', (p) => ({ type: 'session.start', ...range(p, DAY) })),
    audit('actor + one week', (p) => ({ actor: email(p), ...range(p, 7 * DAY) })),
    audit('type + actor + remote + week', (p) => {
      const u = p.int(shape.users);
      return { type: 'cert.issued,login.completed', actor: `user${u}@example.com`, remote: `10.${Math.floor(u / 100)}.${u % 100}.11`, ...range(p, 7 * DAY) };
    }),
    audit('session + type=session.end', (p) => ({ session: session(p), type: 'session.end' })),
    audit('actor=anonymous + type=cert.issued (none)', () => ({ actor: 'anonymous', type: 'cert.issued' })),
  ];
}

export function sessionQueries(shape: BenchShape): BenchQuery[] {
  const days = Math.max(1, Math.floor((shape.events * shape.stepMs) / DAY));
  const range = (p: Pick, length: number) => {
    const from = shape.start.getTime() + p.int(Math.max(1, days - Math.round(length / DAY) + 1)) * DAY;
    return { since: new Date(from).toISOString(), until: new Date(from + length).toISOString() };
  };
  const sessions = (name: string, url: (p: Pick) => Record<string, string | number>): BenchQuery => ({ name, url: (p) => `/v1/sessions${q(url(p))}` });
  return [
    sessions('sessions: newest 100', () => ({})),
    sessions('sessions: user=<email>', (p) => ({ user: `user${p.int(shape.users)}@example.com` })),
    sessions('sessions: host=<name>', (p) => ({ host: `web-${p.int(shape.hosts)}` })),
    sessions('sessions: one day', (p) => range(p, DAY)),
    sessions('sessions: one week', (p) => range(p, 7 * DAY)),
    sessions('sessions: user + one week', (p) => ({ user: `user${p.int(shape.users)}@example.com`, ...range(p, 7 * DAY) })),
    sessions('sessions: deep page, before=<id>', (p) => ({ before: `ses_${p.int(shape.sessions).toString(16).padStart(20, '0')}` })),
    sessions('sessions: host + live=false, limit=1000', (p) => ({ host: `web-${p.int(shape.hosts)}`, live: 'false', limit: 1000 })),
  ];
}
