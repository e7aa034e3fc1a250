import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, recordedText, recordingOf } from '../support/gateway-records.ts';
import { startGatewayStack, type Engineer, type GatewayStack } from '../support/gateway-stack.ts';
import { startPostgresInstance, type PostgresInstance } from '../support/postgres-instance.ts';
import { startStreamingSession, type StreamingSession } from '../support/streaming-session.ts';

const LOGIN = 'acc-spoolfull';
const REASON = 'recordings cannot be stored: the database is unreachable and the spool is full';

/**
 * The policy when the spool fills up while the database is away: the gateway cannot record
 * what it carries, so it says so, ends its sessions and refuses new ones, rather than carry
 * them unrecorded. What it held is written once the database is back, and sessions are
 * accepted again.
 */
describe('the spool full while PostgreSQL is away', () => {
  let pg: PostgresInstance;
  let stack: GatewayStack;
  let engineer: Engineer;
  const sessions: StreamingSession[] = [];

  beforeAll(async () => {
    pg = await startPostgresInstance();
    // A spool of 8 KB: two sessions fill it within seconds.
    stack = await startGatewayStack({ databaseUrl: pg.url, gatewayLimits: { spoolMaxBytes: '8000' } });
    await stack.addTarget('spool-full-1');
    engineer = await stack.addEngineer('spool-full@example.com', [LOGIN]);
  }, 120_000);
  afterAll(async () => {
    for (const s of sessions) s.kill();
    await pg?.start().catch(() => undefined);
    await stack?.stop();
    await pg?.destroy();
  }, 60_000);

  it('ends the sessions with the reason, writes everything the engineers saw once the database is back, and accepts sessions again', { timeout: 90_000 }, async () => {
    const db = stack.server.services.database.db;
    for (const name of ['x', 'y']) sessions.push(startStreamingSession(name, engineer.sshConfig, `${LOGIN}@spool-full-1`, 20));
    await Promise.all(sessions.map((s) => s.waitForEcho(10)));

    await pg.stop();
    const ended = await Promise.all(sessions.map((s) => s.ended(30_000)));
    for (const s of sessions) expect(s.stderr()).toContain(`access: ${REASON}`);
    // Ended by the gateway, not by the command: ssh says so with 255.
    expect(ended.map((e) => e.code)).toEqual([255, 255]);
    expect(stack.log.some((l) => l.includes(`${REASON} (`) && l.includes('ending sessions and refusing new ones'))).toBe(true);

    await pg.start();
    await eventually(async () => (stack.log.some((l) => l.includes('sessions are accepted again')) ? true : undefined), 'the held batches to be written', 30_000);
    const rows = await db.selectFrom('sessions').selectAll().where('user_email', '=', 'spool-full@example.com').orderBy('started_at').execute();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const recording = await recordingOf(db, row.id);
      const input = recordedText(recording, 'i');
      const s = sessions.find((x) => input.startsWith(`${x.name}-1\n`))!;
      expect(row.status).toBe('ended');
      expect(row.end_reason).toBe(REASON);
      // Everything the engineer saw is recorded, in order, once; what was typed too (some of
      // it may not have reached the target before the end).
      expect(recordedText(recording, 'o')).toBe(s.seen());
      expect(s.sent().startsWith(input)).toBe(true);
      expect(input.startsWith(s.seen())).toBe(true);
      const events = await db
        .selectFrom('audit_events')
        .select('type')
        .where(({ eb, ref }) => eb(eb.fn('jsonb_extract_path_text', [ref('details'), eb.val('sessionId')]), '=', row.id))
        .orderBy('seq')
        .execute();
      expect(events.map((e) => e.type)).toEqual(['session.start', 'session.exec', 'session.end']);
    }

    // Accepted again.
    const after = await engineer.ssh([`${LOGIN}@spool-full-1`, 'echo back'], { timeoutMs: 30_000 });
    expect(after.stdout).toBe('back\n');
    expect(after.code).toBe(0);
  });
});
