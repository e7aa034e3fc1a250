import { describe, expect, it } from 'vitest';
import { groupCommit } from './group-commit.ts';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('groupCommit', () => {
  it('sends a lone item alone and items that arrive during a commit together', async () => {
    const batches: number[][] = [];
    const submit = groupCommit(async (items: number[]) => {
      batches.push(items);
      await tick();
      return items.map((i) => i * 10);
    }, 100);
    const first = submit(1);
    const rest = [2, 3, 4, 5].map((i) => submit(i));
    expect(await first).toBe(10);
    expect(await Promise.all(rest)).toEqual([20, 30, 40, 50]);
    expect(batches).toEqual([[1], [2, 3, 4, 5]]);
  });

  it('never puts more than maxBatch items in one batch', async () => {
    const sizes: number[] = [];
    const submit = groupCommit(async (items: number[]) => {
      sizes.push(items.length);
      await tick();
      return items;
    }, 3);
    await Promise.all(Array.from({ length: 10 }, (_, i) => submit(i)));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
  });

  it('retries a failed batch item by item, so only the bad item fails', async () => {
    const submit = groupCommit(async (items: number[]) => {
      await tick();
      if (items.includes(13)) throw new Error('bad item 13');
      return items;
    }, 100);
    const results = await Promise.allSettled([submit(1), submit(12), submit(13), submit(14)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseRejectedResult).reason.message).toBe('bad item 13');
  });
});
