import { describe, expect, it } from 'vitest';
import { createInputRedactor, looksLikeSecretPrompt, type InputRedactor } from './password-prompt.ts';
import { formatRedactionMarker, parseRedactionMarker } from './redaction-marker.ts';

/** Feeds a session as [direction, data] steps; returns what would be recorded. */
function run(steps: Array<['o' | 'i', string]>, redactor: InputRedactor = createInputRedactor()): Array<[string, string]> {
  const recorded: Array<[string, string]> = [];
  for (const [dir, data] of steps) {
    const v = dir === 'o' ? redactor.output(data) : redactor.input(data);
    if (dir === 'o') recorded.push(['o', data]);
    if (v.marker) recorded.push(['m', v.marker]);
    if (v.record !== null) recorded.push(['i', v.record]);
  }
  const last = redactor.end();
  if (last.marker) recorded.push(['m', last.marker]);
  return recorded;
}

const typed = (text: string): Array<['i', string]> => [...text].map((c): ['i', string] => ['i', c]);
const inputs = (recorded: Array<[string, string]>) => recorded.filter(([c]) => c !== 'o');

describe('secret prompts', () => {
  it.each([
    '[sudo] password for bob: ',
    'Password:',
    'Password: ',
    "bob@10.0.0.5's password: ",
    "Enter passphrase for key '/home/bob/.ssh/id_ed25519': ",
    "Password for 'https://bob@git.example.com': ",
    'PIN:',
    "Enter PIN for 'PIV Card Holder pin (PIV_II)': ",
    'Current password: ',
    'New password: ',
    'Retype new password: ',
    'Enter PEM pass phrase:',
    'Verification code: ',
    '\x1b[?2004l\r[sudo] password for bob: ',
    'PASSWORD:   ',
  ])('recognizes %j', (line) => expect(looksLikeSecretPrompt(line)).toBe(true));

  it.each([
    'bob@web-1:~$ ',
    'passwd: password updated successfully',
    'Sorry, try again.',
    'Pinging 10.0.0.1:',
    'Login incorrect',
    'Password: hunter2',
  ])('does not take %j for one', (line) => expect(looksLikeSecretPrompt(line)).toBe(false));
});

describe('createInputRedactor', () => {
  it('withholds a sudo password and records one marker with its size at Enter', () => {
    const recorded = run([
      ['o', 'bob@web-1:~$ '],
      ...typed('sudo ls\r').flatMap((s): Array<['o' | 'i', string]> => [s, ['o', s[1] === '\r' ? '\r\n' : s[1]]]),
      ['o', '[sudo] password for bob: '],
      ...typed('hunter2!\r'),
      ['o', '\r\n'],
      ['o', 'secret.txt\r\nbob@web-1:~$ '],
      ...typed('e'),
    ]);
    expect(inputs(recorded)).toEqual([
      ...[...'sudo ls\r'].map((c) => ['i', c]),
      ['m', 'input redacted: 8 bytes typed with echo off'],
      ['i', '\r'],
      ['i', 'e'],
    ]);
  });

  it('finds a prompt split across chunks and behind ANSI sequences', () => {
    const r = createInputRedactor();
    r.output('\x1b[?2004l\r\x1b[0;1m[sudo] pass');
    expect(r.secret).toBe(false);
    r.output('word for bob:');
    r.output(' ');
    expect(r.secret).toBe(true);
    expect(r.input('pw')).toMatchObject({ record: null, redactedBytes: 0 });
  });

  it('counts UTF-8 bytes, and records what was typed after Enter in the same chunk', () => {
    const r = createInputRedactor();
    r.output('Password: ');
    expect(r.input('pässwörd\rls -l\r')).toEqual({ record: '\rls -l\r', redactedBytes: 10, marker: formatRedactionMarker(10) });
    expect(r.input('x')).toMatchObject({ record: 'x' });
  });

  it('starts over after a wrong password ("Sorry, try again." and the prompt again)', () => {
    const recorded = run([
      ['o', '[sudo] password for bob: '],
      ...typed('wrong\r'),
      ['o', '\r\nSorry, try again.\r\n[sudo] password for bob: '],
      ...typed('right\r'),
      ['o', '\r\n'],
    ]);
    expect(inputs(recorded)).toEqual([
      ['m', 'input redacted: 5 bytes typed with echo off'], ['i', '\r'],
      ['m', 'input redacted: 5 bytes typed with echo off'], ['i', '\r'],
    ]);
  });

  it('covers passwd\'s three prompts', () => {
    const recorded = run([
      ['o', 'Changing password for bob.\r\nCurrent password: '], ...typed('old\r'),
      ['o', '\r\nNew password: '], ...typed('newer\r'),
      ['o', '\r\nRetype new password: '], ...typed('newer\r'),
      ['o', '\r\npasswd: password updated successfully\r\nbob@web-1:~$ '], ...typed('ls'),
    ]);
    expect(inputs(recorded).filter(([c]) => c === 'm').map(([, m]) => parseRedactionMarker(m))).toEqual([3, 5, 5]);
    expect(inputs(recorded).slice(-2)).toEqual([['i', 'l'], ['i', 's']]);
  });

  it('keeps withholding through output that is not an echo (sudo pwfeedback asterisks)', () => {
    const r = createInputRedactor();
    r.output('[sudo] password for bob: ');
    for (const c of '*abc') {
      expect(r.input(c).record).toBeNull();
      expect(r.output('*').record).toBeNull();
    }
    expect(r.secret).toBe(true);
    expect(r.input('\r')).toMatchObject({ record: '\r', redactedBytes: 4 });
  });

  it('releases the input when the output echoes it: echo is on, it was never secret', () => {
    const r = createInputRedactor();
    r.output('bob@web-1:~$ grep -r password:');
    expect(r.secret).toBe(true);
    expect(r.input(' ')).toMatchObject({ record: null });
    expect(r.output(' ')).toEqual({ record: ' ', redactedBytes: 0, marker: null });
    expect(r.secret).toBe(false);
    expect(r.input('/etc')).toMatchObject({ record: '/etc' });
    r.output('  ');
    expect(r.secret).toBe(false);
    r.output('\r\nPassword: ');
    expect(r.secret).toBe(true);
  });

  it('ends the secret at output with a newline (Ctrl-C at the prompt), noting what was withheld', () => {
    const r = createInputRedactor();
    r.output('Enter passphrase for key \'/home/bob/.ssh/id_ed25519\': ');
    r.input('abc');
    expect(r.input('\x03')).toMatchObject({ record: null });
    expect(r.output('^C\r\nbob@web-1:~$ ')).toMatchObject({ record: null, redactedBytes: 4 });
    expect(r.input('ls')).toMatchObject({ record: 'ls' });
  });

  it('does not take the answered prompt for a new one before the program\'s newline', () => {
    const r = createInputRedactor();
    r.output('Password: ');
    r.input('pw\r');
    r.output('');
    r.output(' ');
    expect(r.secret).toBe(false);
    r.output('\rPassword (again): ');
    expect(r.secret).toBe(true);
  });

  it('notes what is still withheld when the session ends', () => {
    const r = createInputRedactor();
    r.output('PIN: ');
    r.input('1234');
    expect(r.end()).toEqual({ record: null, redactedBytes: 4, marker: 'input redacted: 4 bytes typed with echo off' });
    expect(r.end().marker).toBeNull();
  });

  it('records Enter at an empty password without a marker', () => {
    const r = createInputRedactor();
    r.output('Password: ');
    expect(r.input('\r')).toEqual({ record: '\r', redactedBytes: 0, marker: null });
  });
});

describe('redaction markers', () => {
  it('read back the count they were written with', () => {
    expect(formatRedactionMarker(1)).toBe('input redacted: 1 byte typed with echo off');
    expect(parseRedactionMarker(formatRedactionMarker(1))).toBe(1);
    expect(parseRedactionMarker(formatRedactionMarker(42))).toBe(42);
    expect(parseRedactionMarker('input redacted: 7 bytes typed at a password prompt')).toBe(7);
    expect(parseRedactionMarker('resized by the gateway')).toBeNull();
    expect(parseRedactionMarker('input redacted: 7 bytesx')).toBeNull();
  });
});
