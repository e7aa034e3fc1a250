import { describe, expect, it } from 'vitest';
import type { Cast, CastEvent } from './asciicast.ts';
import { playCast, type PlayOptions } from './player.ts';

const cast = (events: CastEvent[]): Cast => ({ header: { version: 2, width: 80, height: 24 }, events });
const EVENTS: CastEvent[] = [
  [0.5, 'o', '$ '],
  [1.5, 'i', 'l'],
  [1.5, 'o', 'l'],
  [1.503, 'o', 's'],
  [2, 'r', '100x30'],
  [12, 'o', '\r\nfile\r\n'],
  [12.5, 'm', 'note'],
  [13, 'e', 'err\r\n'],
];

function fake(over: Partial<PlayOptions> = {}) {
  const log: string[] = [];
  const options: PlayOptions = {
    write: (s) => void log.push(`write ${JSON.stringify(s)}`),
    sleep: async (ms) => void log.push(`sleep ${ms}`),
    onResize: (r) => void log.push(`resize ${r.cols}x${r.rows}`),
    onMarker: (m) => void log.push(`marker ${m}`),
    ...over,
  };
  return { log, options };
}

describe('playCast', () => {
  it('writes output with its pauses (a pause under 10 ms carried to the next), skips input, announces resizes and markers', async () => {
    const { log, options } = fake();
    const result = await playCast(cast(EVENTS), options);
    expect(log).toEqual([
      'sleep 500', 'write "$ "',
      'sleep 1000', 'write "l"', 'write "s"',
      'sleep 500', 'resize 100x30',
      'sleep 10000', 'write "\\r\\nfile\\r\\n"',
      'sleep 500', 'marker note',
      'sleep 500', 'write "err\\r\\n"',
    ]);
    expect(result).toMatchObject({ played: 13, slept: 13000, resizes: [{ time: 2, cols: 100, rows: 30 }], stopped: false });
  });

  it('scales by speed and caps idle pauses before scaling', async () => {
    const { log, options } = fake({ speed: 2, maxIdle: 2 });
    const result = await playCast(cast(EVENTS), options);
    expect(log.filter((l) => l.startsWith('sleep'))).toEqual(['sleep 250', 'sleep 500', 'sleep 250', 'sleep 1000', 'sleep 250', 'sleep 250']);
    expect(result.slept).toBe(2500);
  });

  it('starts at --from without waiting for what came before', async () => {
    const { log, options } = fake({ from: 12 });
    await playCast(cast(EVENTS), options);
    expect(log.slice(0, 5)).toEqual(['write "$ "', 'write "l"', 'write "s"', 'resize 100x30', 'write "\\r\\nfile\\r\\n"']);
  });

  it('drops sequences that would act on the player\'s terminal unless told not to', async () => {
    const events: CastEvent[] = [[0, 'o', 'a\x1b]52;c;aGk=\x07\x1b[6nb']];
    const safe = fake();
    await playCast(cast(events), safe.options);
    expect(safe.log).toEqual(['write "ab"']);
    const raw = fake({ sanitize: false });
    await playCast(cast(events), raw.options);
    expect(raw.log).toEqual(['write "a\\u001b]52;c;aGk=\\u0007\\u001b[6nb"']);
  });

  it('stops when its signal is aborted', async () => {
    const controller = new AbortController();
    const { log, options } = fake({ signal: controller.signal, sleep: async (ms) => void (log.push(`sleep ${ms}`), ms >= 10_000 && controller.abort()) });
    const result = await playCast(cast(EVENTS), options);
    expect(result.stopped).toBe(true);
    expect(log.at(-1)).toBe('sleep 10000');
  });

  it('refuses a speed or idle limit that is not above zero', async () => {
    await expect(playCast(cast(EVENTS), fake({ speed: 0 }).options)).rejects.toMatchObject({ code: 'ERR_PLAYER_OPTION' });
    await expect(playCast(cast(EVENTS), fake({ maxIdle: -1 }).options)).rejects.toMatchObject({ code: 'ERR_PLAYER_OPTION' });
    await expect(playCast(cast(EVENTS), fake({ speed: Number.NaN }).options)).rejects.toMatchObject({ code: 'ERR_PLAYER_OPTION' });
  });
});
