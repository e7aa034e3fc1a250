import { summarize, type LatencySummary } from './stats.ts';

/** Sends one request; resolves true for the expected status, false for any other; may reject. */
export type SendOnce = (timeoutMs: number) => Promise<boolean>;

export interface OpenLoopOptions {
  /** Requests per second, sent on a fixed schedule whatever the server does. */
  rate: number;
  durationMs: number;
  /** A request still unanswered this long after its scheduled time counts as an error. */
  timeoutMs: number;
  send: SendOnce;
}

export interface OpenLoopResult extends LatencySummary {
  offeredRate: number;
  /** Successful responses per second over the whole run, from the first send to the last response. */
  achievedRate: number;
  errors: number;
  /** Largest delay between a scheduled send and the actual send: the generator's own lag. */
  maxSendLagMs: number;
}

/**
 * An open-loop load generator: request i is due at start + i / rate and is sent then,
 * whether or not earlier requests have been answered. Latency runs from the scheduled
 * time, not the actual send, so a stalled server (or a stalled generator) shows up in the
 * percentiles instead of silently lowering the load (coordinated omission).
 */
export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const { rate, durationMs, timeoutMs, send } = options;
  const total = Math.max(1, Math.round((rate * durationMs) / 1000));
  const interval = 1000 / rate;
  const latencies = new Float64Array(total);
  const inFlight: Array<Promise<void>> = [];
  let errors = 0;
  let maxSendLagMs = 0;
  let lastDone = 0;

  const fire = async (index: number, scheduled: number): Promise<void> => {
    let ok = false;
    try {
      ok = await send(timeoutMs - (performance.now() - scheduled));
    } catch {
      ok = false;
    }
    const done = performance.now();
    latencies[index] = done - scheduled;
    lastDone = Math.max(lastDone, done);
    if (!ok) errors += 1;
  };

  const start = performance.now() + 1;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      for (; next < total && start + next * interval <= now; next += 1) {
        const scheduled = start + next * interval;
        maxSendLagMs = Math.max(maxSendLagMs, now - scheduled);
        inFlight.push(fire(next, scheduled));
      }
      if (next >= total) resolve();
      else setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
    };
    tick();
  });
  await Promise.all(inFlight);

  const elapsedSeconds = (Math.max(lastDone, start + total * interval) - start) / 1000;
  return {
    ...summarize(latencies),
    offeredRate: rate,
    achievedRate: (total - errors) / elapsedSeconds,
    errors,
    maxSendLagMs,
  };
}
