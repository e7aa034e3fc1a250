const HISTOGRAM = 'access_ca_http_request_duration_seconds';

/** The CA's own request-duration histogram for one route: time from request to response inside the server. */
export interface ServerHistogram {
  count: number;
  sumSeconds: number;
  /** Cumulative counts by upper bound in seconds. */
  buckets: Map<number, number>;
}

/** Reads the histogram for `route` from the server's Prometheus endpoint. */
export async function readServerHistogram(url: string, route: string): Promise<ServerHistogram> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const histogram: ServerHistogram = { count: 0, sumSeconds: 0, buckets: new Map() };
  for (const line of text.split('\n')) {
    if (!line.startsWith(HISTOGRAM) || !line.includes(`route="${route}"`)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (line.startsWith(`${HISTOGRAM}_bucket`) && le && le !== '+Inf') histogram.buckets.set(Number(le), value);
    else if (line.startsWith(`${HISTOGRAM}_sum`)) histogram.sumSeconds = value;
    else if (line.startsWith(`${HISTOGRAM}_count`)) histogram.count = value;
  }
  return histogram;
}

/** What the server measured between two readings: mean and share within `withinMs`. */
export function serverTimeBetween(before: ServerHistogram, after: ServerHistogram, withinMs: number): { meanMs: number; shareWithin: number } {
  const count = after.count - before.count;
  const bound = withinMs / 1000;
  const within = (after.buckets.get(bound) ?? NaN) - (before.buckets.get(bound) ?? 0);
  return { meanMs: ((after.sumSeconds - before.sumSeconds) / count) * 1000, shareWithin: within / count };
}
