import { describe, expect, it } from 'vitest';
import { parseCast } from './asciicast.ts';
import { describeSession, exportCast, exportJson, exportSession, exportText, markerLine } from './export.ts';
import type { SessionMetadata } from './session-metadata.ts';

const session = (over: Partial<SessionMetadata> = {}): SessionMetadata => ({
  id: 'ses_0123456789abcdef0123',
  connectionId: 'con_1',
  user: { id: 'usr_1', email: 'bob@example.com' },
  login: 'bob',
  host: 'web-1',
  hostAddress: '10.0.0.5:22',
  clientAddress: '203.0.113.7',
  kind: 'shell',
  command: null,
  term: 'xterm-256color',
  cols: 40,
  rows: 5,
  status: 'ended',
  startedAt: '2025-03-01T10:00:00.000Z',
  endedAt: '2025-03-01T10:05:03.000Z',
  exitStatus: 0,
  exitSignal: null,
  endReason: null,
  bytesIn: 42,
  bytesOut: 1234,
  recordedUntil: '2025-03-01T10:05:02.500Z',
  recordingTruncated: false,
  ...over,
});

const SHELL = [
  '{"version":2,"width":40,"height":5}',
  '[0.1,"o","\\u001b[1mbob@web-1\\u001b[0m:~$ "]',
  '[1,"i","s"]',
  '[1.01,"o","sudo id\\r\\n[sudo] password for bob: "]',
  '[3,"m","input redacted: 9 bytes typed with echo off"]',
  '[3,"i","\\r"]',
  '[3.2,"o","\\r\\nuid=0(root) gid=0(root)\\r\\nbob@web-1:~$ "]',
  '[4,"r","50x5"]',
  '',
].join('\n');

const EXEC = [
  '{"version":2,"width":80,"height":24}',
  '[0.1,"o","ok\\n"]',
  '[0.2,"e","warning: disk 91% full\\n"]',
  '',
].join('\n');

describe('exportCast', () => {
  it('is standard asciicast v2: stderr becomes output, the header gains time, TERM and title', () => {
    const exec = session({ kind: 'exec', command: 'df -h', term: null, cols: null, rows: null });
    const cast = parseCast(exportCast(exec, EXEC));
    expect(cast.header).toEqual({ version: 2, width: 80, height: 24, timestamp: 1740823200, title: 'bob@example.com: bob@web-1 exec df -h', command: 'df -h' });
    expect(cast.events).toEqual([[0.1, 'o', 'ok\n'], [0.2, 'o', 'warning: disk 91% full\n']]);
  });

  it('keeps what the header says and every other event as it is', () => {
    const text = exportCast(session(), SHELL.replace('"height":5}', '"height":5,"title":"mine","env":{"TERM":"screen"}}'));
    const cast = parseCast(text);
    expect(cast.header).toMatchObject({ title: 'mine', env: { TERM: 'screen' }, timestamp: 1740823200 });
    expect(cast.events.map((e) => e[1])).toEqual(['o', 'i', 'o', 'm', 'i', 'o', 'r']);
    expect(text.endsWith('[4,"r","50x5"]\n')).toBe(true);
  });

  it('gives an empty recording a header from the session', () => {
    expect(parseCast(exportCast(session(), ''))).toMatchObject({ header: { width: 40, height: 5, env: { TERM: 'xterm-256color' } }, events: [] });
  });
});

describe('exportJson', () => {
  it('holds the session, the header and the events unchanged, one event per line', () => {
    const text = exportJson(session(), EXEC);
    expect(JSON.parse(text)).toEqual({ session: session(), header: expect.objectContaining({ width: 80 }), events: [[0.1, 'o', 'ok\n'], [0.2, 'e', 'warning: disk 91% full\n']] });
    expect(text.split('\n')).toContain('[0.2,"e","warning: disk 91% full\\n"],'.slice(0, -1));
    expect(JSON.parse(exportJson(session(), '')).events).toEqual([]);
  });
});

describe('exportText', () => {
  it('describes the session, then shows the output as text with the redaction in place', async () => {
    const text = await exportText(session(), SHELL);
    expect(text).toBe([
      'Session:  ses_0123456789abcdef0123 (connection con_1)',
      'User:     bob@example.com (usr_1)',
      'Target:   bob@web-1 (10.0.0.5:22)',
      'From:     203.0.113.7',
      'Kind:     shell, xterm-256color 40x5',
      'Started:  2025-03-01T10:00:00.000Z',
      'Ended:    2025-03-01T10:05:03.000Z (after 5m3s)',
      'Status:   ended',
      'Exit:     exit status 0',
      'Bytes:    42 in, 1234 out',
      '='.repeat(72),
      'bob@web-1:~$ sudo id',
      '[sudo] password for bob:',
      '[input redacted: 9 bytes]',
      'uid=0(root) gid=0(root)',
      'bob@web-1:~$',
      '',
    ].join('\n'));
  });

  it('renders an exec session without a pty line by line, stderr included', async () => {
    const text = await exportSession('text', session({ kind: 'exec', command: 'df -h', term: null, exitStatus: 1 }), EXEC);
    expect(text).toContain('Kind:     exec, no pty\nCommand:  df -h\n');
    expect(text).toContain('Exit:     exit status 1\n');
    expect(text.endsWith(`${'='.repeat(72)}\nok\nwarning: disk 91% full\n`)).toBe(true);
  });

  it('says when a session is live or its recording was cut short', () => {
    const lines = describeSession(session({ status: 'live', endedAt: null, exitStatus: null, recordingTruncated: true }));
    expect(lines).toContain('Status:     live, recorded until 2025-03-01T10:05:02.500Z');
    expect(lines).toContain('Recording:  truncated: nothing after 2025-03-01T10:05:02.500Z was kept');
    expect(lines.some((l) => l.startsWith('Exit:'))).toBe(false);
  });

  it('never lets a control character from the engineer\'s side reach the auditor\'s terminal', () => {
    const lines = describeSession(session({ kind: 'exec', command: 'echo \x1b]52;c;aGk=\x07' }));
    expect(lines).toContain('Command:  echo \\x1b]52;c;aGk=\\x07');
    expect(markerLine('note \x1b[2J')).toBe('[note: note \\x1b[2J]');
    expect(markerLine('input redacted: 1 byte typed with echo off')).toBe('[input redacted: 1 byte]');
  });
});
