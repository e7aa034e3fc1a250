import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { testIo } from '../testing/test-io.ts';
import { startProgress } from './progress.ts';

describe('the waiting line', () => {
  it('is one plain line with the time allowed when stderr is not a terminal', () => {
    const io = testIo('/nonexistent-home');
    const deadline = new Date(io.now().getTime() + 300_000);
    startProgress(io, 'waiting for the approval', deadline).stop();
    expect(io.err()).toBe('waiting for the approval (gives up in 5m)\n');
  });

  it('is a spinner with the time left on a terminal, erased when it stops', async () => {
    const io = testIo('/nonexistent-home');
    const stderr = Object.assign(new PassThrough(), { isTTY: true });
    let text = '';
    stderr.on('data', (c: Buffer) => (text += c.toString()));
    io.stderr = stderr;
    const progress = startProgress(io, 'waiting', new Date(io.now().getTime() + 90_000));
    await new Promise((r) => setTimeout(r, 300));
    progress.stop();
    const frames = text.split('\r').filter(Boolean);
    expect(frames.length).toBeGreaterThanOrEqual(3);
    expect(frames[0]).toBe('⠋ waiting (1m30s left; Ctrl-C to give up)\x1b[K');
    expect(text.endsWith('\r\x1b[K')).toBe(true);
  });
});
