/**
 * Counts refusals per client address over a sliding minute, in memory (one CA process's
 * view), for the public routes that would otherwise write an audit event per refused request:
 * - enrollment and renewal (`routes/enroll-routes.ts`): past the limit an address is answered
 *   429 without being looked at, so join tokens cannot be guessed; successes are not counted,
 *   so a fleet behind one NAT address renewing together is not held back;
 * - `auth.denied` (`caller.ts`): past the limit the answer is the same, but not audited.
 */
export interface RefusalLimiter {
  /** True when this address had `perMinute` refusals within the last minute. */
  blocked(address: string): boolean;
  /** Counts one refusal for this address. */
  refused(address: string): void;
}

export const ENROLL_REFUSALS_PER_MINUTE = 20;
/** `auth.denied` events audited per client address a minute; the answer (401/403) is the same past it. */
export const AUTH_DENIALS_AUDITED_PER_MINUTE = 60;
const WINDOW_MS = 60_000;
const MAX_TRACKED = 10_000;

export function createRefusalLimiter(options: { perMinute: number; clock: () => Date }): RefusalLimiter {
  const refusals = new Map<string, number[]>();
  const recent = (address: string, now: number) => (refusals.get(address) ?? []).filter((t) => now - t < WINDOW_MS);
  return {
    blocked(address) {
      return recent(address, options.clock().getTime()).length >= options.perMinute;
    },
    refused(address) {
      const now = options.clock().getTime();
      // Forget quiet addresses so the map does not grow with every client ever seen.
      if (refusals.size >= MAX_TRACKED) for (const [key, times] of refusals) if (times.every((t) => now - t >= WINDOW_MS)) refusals.delete(key);
      const times = recent(address, now);
      times.push(now);
      // Only the newest `perMinute` matter: a flood cannot grow one address's list.
      refusals.set(address, times.slice(-options.perMinute));
    },
  };
}
