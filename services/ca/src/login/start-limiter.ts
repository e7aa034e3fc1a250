/** Counts login starts per client address over a sliding minute, in memory: one CA process's view. */
export interface StartLimiter {
  /** True when this address may start another login now (and counts it). */
  allow(address: string): boolean;
}

export function createStartLimiter(options: { perMinute: number; clock: () => Date }): StartLimiter {
  const starts = new Map<string, number[]>();
  return {
    allow(address) {
      const now = options.clock().getTime();
      const recent = (starts.get(address) ?? []).filter((t) => now - t < 60_000);
      // Forget quiet addresses so the map does not grow with every client ever seen.
      if (starts.size > 10_000) for (const [key, times] of starts) if (times.every((t) => now - t >= 60_000)) starts.delete(key);
      if (recent.length >= options.perMinute) {
        starts.set(address, recent);
        return false;
      }
      recent.push(now);
      starts.set(address, recent);
      return true;
    },
  };
}
