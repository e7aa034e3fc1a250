import { randomBytes } from 'node:crypto';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCast, parseRedactionMarker, renderScreen, type Cast, type CastEvent } from '@access/recording';
import type { SessionRow } from '@access/db';
import { recordingText } from '../../services/ca/src/sessions/session-recording.ts';
import { toSession } from '../../services/ca/src/sessions/session-store.ts';
import { startGatewayStack, type Engineer, type GatewayStack } from '../support/gateway-stack.ts';
import { runOk, sleep } from '../support/process.ts';
import { SSH } from '../support/ssh-client.ts';
import { startTmuxTerminal, type TmuxTerminal } from '../support/tmux-terminal.ts';

/** The last row with something on it. */
const lastLine = (screen: string[]) => screen.filter((l) => l !== '').at(-1) ?? '';
/** dash, the logins' shell, prompts with `$ `; trimmed, the row is `$`. */
const atPrompt = (screen: string[]) => lastLine(screen) === '$';
/** `line` is on the screen and the shell prompts again after it. */
const printed = (line: string) => (screen: string[]) => screen.includes(line) && atPrompt(screen) && screen.lastIndexOf(line) < screen.lastIndexOf('$');

const inputOf = (events: CastEvent[]) => events.filter((e) => e[1] === 'i').map((e) => e[2]).join('');
const outputOf = (events: CastEvent[]) => events.filter((e) => e[1] === 'o' || e[1] === 'e').map((e) => e[2]).join('');

describe('an engineer at a real terminal, through the gateway', () => {
  let stack: GatewayStack;
  let tina: Engineer;
  let sam: Engineer;
  let eve: Engineer;
  const terminals: TmuxTerminal[] = [];

  const db = () => stack.server.services.database.db;

  /** The one session of this engineer, once the gateway has ended it (it does so after the client exits). */
  async function endedSession(engineer: Engineer): Promise<SessionRow> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const rows = await db().selectFrom('sessions').selectAll().where('user_id', '=', engineer.userId).execute();
      expect(rows.length).toBeLessThanOrEqual(1);
      if (rows[0]?.status === 'ended') return rows[0];
      if (Date.now() > deadline) throw new Error(`the session of ${engineer.email} did not end: ${JSON.stringify(rows[0]?.status)}`);
      await sleep(100);
    }
  }

  /** The recording as an auditor downloads it, and the raw chunk rows' events. */
  async function recording(row: SessionRow): Promise<{ cast: Cast; raw: string }> {
    let text = '';
    for await (const piece of recordingText(db(), toSession(row))) text += piece;
    const chunks = await db().selectFrom('session_chunks').select('events').where('session_id', '=', row.id).orderBy('seq').execute();
    return { cast: parseCast(text), raw: chunks.map((c) => c.events).join('\n') };
  }

  async function auditOf(sessionId: string) {
    const rows = await db().selectFrom('audit_events').select(['type', 'code', 'details']).where('type', 'like', 'session.%').orderBy('seq').execute();
    return rows.map((r) => ({ ...r, details: r.details as Record<string, unknown> })).filter((r) => r.details['sessionId'] === sessionId);
  }

  async function terminal(engineer: Engineer, args: string[], cols: number, rows: number): Promise<TmuxTerminal> {
    const tty = await startTmuxTerminal([SSH, '-F', engineer.sshConfig, '-tt', ...args], { cols, rows });
    terminals.push(tty);
    return tty;
  }

  /** Types a command line and presses Enter; returns what was sent. */
  async function enter(tty: TmuxTerminal, line: string): Promise<string> {
    await tty.type(line);
    await tty.press('Enter');
    return `${line}\r`;
  }

  beforeAll(async () => {
    stack = await startGatewayStack();
    await stack.addTarget('web-1');
    tina = await stack.addEngineer('tina@example.com', ['gwtty']);
    sam = await stack.addEngineer('sam@example.com', ['gwsudo']);
    eve = await stack.addEngineer('eve@example.com', ['gwtty']);
  }, 60_000);
  afterAll(async () => {
    for (const t of terminals) await t.stop();
    await stack?.stop();
  });

  it('runs an interactive shell in the engineer\'s terminal and records a replay of exactly that screen', { timeout: 30_000 }, async () => {
    const tty = await terminal(tina, ['gwtty@web-1'], 100, 30);
    await tty.waitForScreen('the shell prompt', atPrompt, 15_000);
    let typed = '';

    typed += await enter(tty, "printf 'hello %s\\n' world");
    await tty.waitForScreen('printf output', printed('hello world'));
    typed += await enter(tty, 'echo $TERM');
    await tty.waitForScreen('TERM on the target', printed(tty.term));
    typed += await enter(tty, 'stty size');
    await tty.waitForScreen('the window size', printed('30 100'));
    typed += await enter(tty, 'tput setaf 1; echo red-text; tput sgr0');
    const plain = await tty.waitForScreen('coloured output', printed('red-text'));
    expect((await tty.screen({ escapes: true }))[plain.indexOf('red-text')]?.startsWith('\x1b[31mred-text')).toBe(true);

    await tty.resize(120, 40);
    typed += await enter(tty, 'stty size');
    const before = await tty.waitForScreen('the new window size', printed('40 120'));
    expect(before).toHaveLength(40);

    const exitKeys = await enter(tty, 'exit');
    expect(await tty.waitForExit()).toBe(0);

    const row = await endedSession(tina);
    expect(row).toMatchObject({ kind: 'shell', command: null, login: 'gwtty', host: 'web-1', term: tty.term, cols: 100, rows: 30, status: 'ended', exit_status: 0, exit_signal: null, end_reason: null, recording_truncated: false });
    const { cast } = await recording(row);
    expect(cast.header).toMatchObject({ width: 100, height: 30, env: { TERM: tty.term } });

    // Every keystroke, in order, and nothing else: no password prompt came up.
    expect(inputOf(cast.events)).toBe(typed + exitKeys);
    expect(cast.events.filter((e) => e[1] === 'm')).toEqual([]);
    expect(cast.events.filter((e) => e[1] === 'r').map((e) => e[2])).toEqual(['120x40']);
    expect(outputOf(cast.events)).toContain('\x1b[31m');
    expect(Number(row.bytes_in)).toBe(Buffer.byteLength(typed + exitKeys));
    expect(Number(row.bytes_out)).toBe(Buffer.byteLength(outputOf(cast.events)));
    expect(Number(row.bytes_out)).toBeGreaterThan(0);

    // Replayed up to the keystroke that starts `exit`, the recording shows what the terminal showed.
    let seen = 0;
    const exitAt = cast.events.findIndex((e) => e[1] === 'i' && (seen += e[2].length) > typed.length);
    expect(exitAt).toBeGreaterThan(0);
    expect(await renderScreen({ header: cast.header, events: cast.events.slice(0, exitAt) })).toEqual(before);

    const audit = await auditOf(row.id);
    expect(audit.map((a) => [a.type, a.code])).toEqual([['session.start', 'SE1000I'], ['session.end', 'SE1002I']]);
    expect(audit[0]!.details).toMatchObject({ kind: 'shell', pty: true, login: 'gwtty', host: 'web-1' });
    expect(audit[1]!.details).toMatchObject({ exitStatus: 0, exitSignal: null, reason: null, bytesIn: Number(row.bytes_in), bytesOut: Number(row.bytes_out) });
  });

  it('keeps a password typed at a sudo prompt out of the recording, with a marker in its place', { timeout: 30_000 }, async () => {
    const password = `Pw${randomBytes(9).toString('hex')}`;
    const sudoers = '/etc/sudoers.d/access-test-gwsudo';
    await runOk('chpasswd', [], { input: `gwsudo:${password}\n` });
    writeFileSync(sudoers, 'gwsudo ALL=(ALL) ALL\nDefaults:gwsudo !lecture\n', { mode: 0o440 });
    chmodSync(sudoers, 0o440);
    try {
      const tty = await terminal(sam, ['gwsudo@web-1'], 100, 30);
      await tty.waitForScreen('the shell prompt', atPrompt, 15_000);
      const command = await enter(tty, 'sudo -k; sudo id -u');
      await tty.waitForScreen('the sudo prompt', (s) => lastLine(s) === '[sudo] password for gwsudo:');
      await tty.type(password);
      await tty.press('Enter');
      const screen = await tty.waitForScreen('root\'s uid', printed('0'));
      expect(screen.join('\n')).not.toContain(password);
      const exitKeys = await enter(tty, 'exit');
      expect(await tty.waitForExit()).toBe(0);

      const row = await endedSession(sam);
      expect(row).toMatchObject({ kind: 'shell', status: 'ended', exit_status: 0 });
      const { cast, raw } = await recording(row);
      expect(raw).not.toContain(password);
      expect(JSON.stringify(await auditOf(row.id))).not.toContain(password);

      const markers = cast.events.filter((e) => e[1] === 'm');
      expect(markers).toHaveLength(1);
      expect(parseRedactionMarker(markers[0]![2])).toBe(password.length);
      const markerAt = cast.events.indexOf(markers[0]!);
      // The command before the prompt is recorded as typed; the Enter that answered it, after the marker.
      expect(inputOf(cast.events.slice(0, markerAt))).toBe(command);
      expect(inputOf(cast.events.slice(markerAt))).toBe(`\r${exitKeys}`);
      expect(outputOf(cast.events.slice(0, markerAt))).toContain('[sudo] password for gwsudo: ');
      expect(outputOf(cast.events.slice(markerAt))).toMatch(/^\r\n0\r\n/);
      // Left out of the recording, the password still went to the target: the byte counts say so.
      expect(Number(row.bytes_in)).toBe(Buffer.byteLength(command + password + '\r' + exitKeys));
      expect((await auditOf(row.id))[1]!.details).toMatchObject({ bytesIn: Number(row.bytes_in) });
    } finally {
      rmSync(sudoers, { force: true });
      await runOk('usermod', ['-p', '*', 'gwsudo']);
    }
  });

  it('passes the engineer\'s window size to a command run with a pty', { timeout: 30_000 }, async () => {
    const tty = await terminal(eve, ['gwtty@web-1', 'stty size; echo $TERM'], 90, 20);
    expect(await tty.waitForExit(15_000)).toBe(0);
    const screen = await tty.screen();
    expect(screen.slice(0, 2)).toEqual(['20 90', tty.term]);

    const row = await endedSession(eve);
    expect(row).toMatchObject({ kind: 'exec', command: 'stty size; echo $TERM', term: tty.term, cols: 90, rows: 20, exit_status: 0 });
    const { cast } = await recording(row);
    // Through a pty, the target's newlines arrive as CR LF and stderr is merged into output.
    expect(outputOf(cast.events)).toBe(`20 90\r\n${tty.term}\r\n`);
    expect(cast.events.every((e) => e[1] === 'o')).toBe(true);
  });
});
