export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles of a list of milliseconds (sorted in place). */
export function summarize(samples: Float64Array | number[]): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const count = sorted.length;
  if (count === 0) return { count, p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  const rank = (p: number) => sorted[Math.min(count - 1, Math.max(0, Math.ceil((p / 100) * count) - 1))]!;
  let sum = 0;
  for (const value of sorted) sum += value;
  return { count, p50: rank(50), p90: rank(90), p99: rank(99), max: sorted[count - 1]!, mean: sum / count };
}

/** Milliseconds with a precision that suits their size. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (value < 1) return value.toFixed(3);
  if (value < 100) return value.toFixed(2);
  return value.toFixed(0);
}

/** A rate with thousands separators. */
export function perSecond(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '—';
}
