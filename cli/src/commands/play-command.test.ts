import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordingsFetch, SESSION_ID } from '../testing/fake-sessions-fetch.ts';
import { access, makeHome, testIo } from '../testing/test-io.ts';

describe('access play', () => {
  let home: string;
  beforeEach(() => (home = makeHome()));
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  async function play(args: string[], options: { tty?: boolean; cast?: string } = {}) {
    const io = testIo(home, { env: { ACCESS_TOKEN: 'acu_auditor', ACCESS_SERVER: 'https://ca.example' }, tty: options.tty ?? false });
    const fake = recordingsFetch(options.cast === undefined ? {} : { cast: options.cast });
    io.fetch = fake.fetch;
    const code = await access(io, ['play', ...args]);
    return { code, out: io.out(), err: io.err(), slept: io.slept, seen: fake.seen };
  }

  it('writes the output with its timing, pauses cut to 2 s by default, and says what it plays', async () => {
    const r = await play([SESSION_ID]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('\x1b[1malice@web-1\x1b[0m:~$ sudo id\r\n[sudo] password for alice: \r\nuid=0(root)\r\nalice@web-1:~$ exit\r\n');
    expect(r.slept).toEqual([500, 1000, 2000, 100, 400, 2000]);
    expect(r.err).toBe([
      'Replaying ses_0123456789abcdef0123: alice@example.com as alice@web-1, shell, started 2030-01-01T10:00:00.000Z, 40x6.',
      'Speed 1x, pauses cut to 2s; Ctrl-C stops.',
      'End of ses_0123456789abcdef0123: 15s of recording.',
      'The engineer\'s terminal changed size: 60x20 at 5s.',
      '1 input was typed at a password prompt and not recorded ("access sessions export ses_0123456789abcdef0123 --format text" shows where).',
      '',
    ].join('\n'));
  });

  it('scales by --speed and cuts pauses to --max-idle; --max-idle 0 keeps them', async () => {
    expect((await play([SESSION_ID, '--speed', '2', '--max-idle', '1'])).slept).toEqual([250, 500, 500, 50, 200, 500]);
    expect((await play([SESSION_ID, '--speed', '0.5', '--max-idle', '0'])).slept).toEqual([1000, 2000, 6000, 200, 800, 20000]);
  });

  it('refuses a speed or idle limit that is not a positive number, before asking the server', async () => {
    const slow = await play([SESSION_ID, '--speed', '0']);
    expect(slow).toMatchObject({ code: 1, seen: [] });
    expect(slow.err).toBe('error: --speed takes a number above 0, such as 2 or 0.5; got "0"\n');
    expect((await play([SESSION_ID, '--max-idle', '-1'])).err).toMatch(/^error: --max-idle takes a number above 0 \(or 0 for no limit\)/);
  });

  it('keeps the recording from acting on this terminal, and gives a terminal back clean', async () => {
    const cast = '{"version":2,"width":80,"height":24}\n[0,"o","a\\u001b]52;c;cm0gLXJmIC8=\\u0007\\u001b[6n\\u001b[?25lb"]\n';
    const r = await play([SESSION_ID], { tty: true, cast });
    expect(r.out).toBe('a\x1b[?25lb\x1b[0m\x1b[?25h\r\n');
  });

  it('says how to find session ids when there is no such session', async () => {
    const r = await play(['ses_ffffffffffffffffffff']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: no session ses_ffffffffffffffffffff \(ERR_UNKNOWN_SESSION, HTTP 404\)\n"access sessions ls" lists sessions/);
  });
});
