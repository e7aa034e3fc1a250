import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createAuditLog } from '@access/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, recordedText, recordingOf } from '../support/gateway-records.ts';
import { startGatewayStack, type Engineer, type GatewayStack } from '../support/gateway-stack.ts';
import { startPostgresInstance, type PostgresInstance } from '../support/postgres-instance.ts';
import { sleep } from '../support/process.ts';
import { startStreamingSession, type StreamingSession } from '../support/streaming-session.ts';
import { makeTempDir, removeDir } from '../support/temp-dir.ts';

/** How long PostgreSQL stays stopped: a few seconds in CI; `bench/faults.ts` runs this file with 30. */
const OUTAGE_SECONDS = Number(process.env['ACCESS_FAULT_OUTAGE_SECONDS'] ?? 4);
const LOGIN = 'acc-pgout';

/**
 * PostgreSQL restarted, then stopped, while sessions run through the gateway: the sessions
 * go on, what they record waits in the gateway's spool and reaches the database once it is
 * back, and every byte the engineers sent and saw is recorded exactly once, with exactly one
 * start and one end event per session.
 */
describe('PostgreSQL restarted and stopped during live sessions', () => {
  let pg: PostgresInstance;
  let stack: GatewayStack;
  let engineer: Engineer;
  const dataDir = makeTempDir('pg-outage');
  const spoolDir = join(dataDir, 'spool');
  const sessions: StreamingSession[] = [];

  beforeAll(async () => {
    pg = await startPostgresInstance();
    stack = await startGatewayStack({ databaseUrl: pg.url, dataDir });
    await stack.addTarget('pg-outage-1');
    engineer = await stack.addEngineer('pg-outage@example.com', [LOGIN]);
  }, 120_000);
  afterAll(async () => {
    for (const s of sessions) s.kill();
    await pg?.start().catch(() => undefined);
    await stack?.stop();
    await pg?.destroy();
    removeDir(dataDir);
  }, 60_000);

  const spoolFiles = () => {
    try {
      return readdirSync(spoolDir).filter((f) => f.endsWith('.spool'));
    } catch {
      return [];
    }
  };

  it(`keeps sessions going through a restart and a ${OUTAGE_SECONDS} s outage and records them exactly once`, { timeout: 60_000 + OUTAGE_SECONDS * 3000 }, async () => {
    const db = stack.server.services.database.db;
    const since = new Date();
    const { token: adminToken } = await stack.server.services.tokens.create({ role: 'admin', description: 'outage test' }, { kind: 'cli', id: 'outage-test' });
    for (const name of ['a', 'b', 'c']) sessions.push(startStreamingSession(name, engineer.sshConfig, `${LOGIN}@pg-outage-1`, 50));
    await Promise.all(sessions.map((s) => s.waitForEcho(10)));

    // A restart: every connection of the gateway's pool is cut mid-use.
    await pg.restart();
    await Promise.all(sessions.map((s) => s.waitForEcho(s.sent().split('\n').length + 5)));

    // An outage: the sessions go on; a new one is refused with a reason.
    await pg.stop();
    const during = sessions.map((s) => s.sent().split('\n').length);
    await sleep(1500);
    const refused = await engineer.ssh([`${LOGIN}@pg-outage-1`, 'true'], { timeoutMs: 30_000 });
    expect(refused.code).toBe(255);
    expect(refused.stderr).toContain('the access service cannot reach its database right now; try again in a minute');
    // The CA's API says the same, as a 503 rather than an internal error.
    const api = await fetch(`${stack.server.url}/v1/sessions`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(api.status).toBe(503);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('ERR_DATABASE_UNAVAILABLE');
    await Promise.all(sessions.map((s, i) => s.waitForEcho(during[i]! + 10)));
    expect(spoolFiles()).toHaveLength(1);
    // One session ends while the database is away: its end waits in the spool too.
    expect(await sessions[0]!.finish()).toEqual({ code: 0 });
    await sleep(Math.max(0, OUTAGE_SECONDS * 1000 - 1500));

    await pg.start();
    const deadline = Date.now() + 30_000;
    while (spoolFiles().length > 0 && Date.now() < deadline) await sleep(100);
    expect(spoolFiles()).toEqual([]);
    await Promise.all(sessions.slice(1).map((s) => s.waitForEcho(s.sent().split('\n').length + 5)));
    for (const s of sessions.slice(1)) expect(await s.finish()).toEqual({ code: 0 });

    // ssh exits as its channel closes; the gateway writes the session's end right after.
    const rows = await eventually(async () => {
      const found = await db.selectFrom('sessions').selectAll().where('user_email', '=', 'pg-outage@example.com').where('started_at', '>=', since).orderBy('started_at').execute();
      return found.length === 3 && found.every((r) => r.status !== 'live') ? found : undefined;
    }, 'the three sessions to be ended');
    const byCommandOrder = new Map<string, (typeof rows)[number]>();
    for (const row of rows) {
      const recording = await recordingOf(db, row.id);
      const input = recordedText(recording, 'i');
      const s = sessions.find((x) => input.startsWith(`${x.name}-1\n`))!;
      expect(s, `a session whose input starts like ${JSON.stringify(input.slice(0, 10))}`).toBeDefined();
      byCommandOrder.set(s.name, row);
      // Every byte sent and seen, once, in order.
      expect(input).toBe(s.sent());
      expect(recordedText(recording, 'o')).toBe(s.seen());
      expect(s.seen()).toBe(s.sent());
      expect(Number(row.bytes_in)).toBe(Buffer.byteLength(s.sent()));
      expect(Number(row.bytes_out)).toBe(Buffer.byteLength(s.seen()));
      expect(row.status).toBe('ended');
      expect(row.exit_status).toBe(0);
      const chunks = await db.selectFrom('session_chunks').select('seq').where('session_id', '=', row.id).orderBy('seq').execute();
      expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));

      const events = await db
        .selectFrom('audit_events')
        .select(['type', 'details'])
        .where(({ eb, ref }) => eb(eb.fn('jsonb_extract_path_text', [ref('details'), eb.val('sessionId')]), '=', row.id))
        .orderBy('seq')
        .execute();
      expect(events.map((e) => e.type)).toEqual(['session.start', 'session.exec', 'session.end']);
      const end = events[2]!.details as { bytesIn: number; bytesOut: number; occurredAt?: string };
      expect([end.bytesIn, end.bytesOut]).toEqual([Buffer.byteLength(s.sent()), Buffer.byteLength(s.seen())]);
      // Only the session that ended during the outage has its end written from the spool.
      expect(typeof end.occurredAt === 'string').toBe(s.name === 'a');
    }
    expect([...byCommandOrder.keys()].sort()).toEqual(['a', 'b', 'c']);
    const interrupted = await db.selectFrom('audit_events').select('seq').where('type', '=', 'session.interrupted').execute();
    expect(interrupted).toEqual([]);
    expect((await createAuditLog(db).verify()).ok).toBe(true);
    expect(stack.log.some((l) => l.includes('holding recordings and audit events in the spool'))).toBe(true);
    expect(stack.log.some((l) => l.includes('every spooled recording and event is written'))).toBe(true);
  });
});
