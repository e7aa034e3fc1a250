/** How many new connections one client address may open, and how many may wait to sign in. */
export interface AdmissionLimits {
  /** New connections per second per client address, sustained (a token bucket's refill rate). */
  connectionRate: number;
  /** New connections per client address allowed at once before the rate applies (the bucket's size). */
  connectionBurst: number;
  /** Connections of one client address open at once that have not signed in yet. */
  maxUnauthenticated: number;
  /**
   * Connections from all addresses open at once that have not signed in yet (sshd's
   * MaxStartups): past it a flood from many addresses is turned away at the door instead of
   * queueing key exchanges the gateway cannot finish in time, so those already admitted do.
   */
  maxUnauthenticatedTotal: number;
}

export interface AdmissionOptions extends AdmissionLimits {
  /** Monotonic milliseconds: a rate must not jump with the wall clock. */
  now: () => number;
  log: (line: string) => void;
  /** Addresses tracked at once; past it idle ones go first, then the least recently seen. */
  maxTrackedAddresses?: number;
  /** A refused address is logged at most once this often (ms). */
  logEveryMs?: number;
}

/** An admitted connection: tell it when it signs in, and when it closes (either may come twice). */
export interface Admission {
  signedIn(): void;
  closed(): void;
}

export type AdmissionResult = { admitted: true; admission: Admission } | { admitted: false; reason: string };

interface Entry {
  tokens: number;
  at: number;
  unauthenticated: number;
  refusedSinceLog: number;
  loggedAt: number | null;
}

export const DEFAULT_MAX_TRACKED_ADDRESSES = 10_000;
const DEFAULT_LOG_EVERY_MS = 60_000;
const SWEEP_EVERY_MS = 60_000;

/**
 * The gateway's door, per client address (after the PROXY header): a token bucket for new
 * connections and a cap on connections not signed in yet, as sshd's MaxStartups and
 * PerSourceMaxStartups bound a flood. It is asked before any SSH work; a refusal closes the
 * socket. Memory is bounded: an entry whose bucket is full and that waits for nobody says
 * nothing a missing entry would not, so it goes first when the table is full.
 */
export function createConnectionAdmission(options: AdmissionOptions) {
  const { connectionRate, connectionBurst, maxUnauthenticated, maxUnauthenticatedTotal, now, log } = options;
  /** Connections admitted that have not signed in or closed yet, from every address. */
  let waitingTotal = 0;
  const maxTracked = options.maxTrackedAddresses ?? DEFAULT_MAX_TRACKED_ADDRESSES;
  const logEveryMs = options.logEveryMs ?? DEFAULT_LOG_EVERY_MS;
  // Insertion order is recency order: an entry is moved to the end each time it is used.
  const entries = new Map<string, Entry>();

  const refill = (entry: Entry, t: number) => {
    entry.tokens = Math.min(connectionBurst, entry.tokens + ((t - entry.at) / 1000) * connectionRate);
    entry.at = t;
  };
  /** Says nothing a missing entry would not: a full bucket, nobody waiting, no recent log line. */
  const idle = (entry: Entry, t: number) => {
    refill(entry, t);
    return entry.unauthenticated === 0 && entry.tokens >= connectionBurst && (entry.loggedAt === null || t - entry.loggedAt >= logEveryMs);
  };
  let sweptAt = now();
  const sweepIdle = (t: number) => {
    sweptAt = t;
    for (const [address, entry] of entries) if (idle(entry, t)) entries.delete(address);
  };

  /** Idle entries go once a minute; a full table drops them, then the least recently seen, to 90%. */
  const makeRoom = (t: number) => {
    if (entries.size < maxTracked && t - sweptAt < SWEEP_EVERY_MS) return;
    sweepIdle(t);
    if (entries.size < maxTracked) return;
    // Forgetting a busy address only forgives it: its connections hold their own entry.
    const keep = Math.floor(maxTracked * 0.9);
    for (const address of entries.keys()) {
      if (entries.size <= keep) break;
      entries.delete(address);
    }
  };

  const refuse = (address: string, entry: Entry, t: number, reason: string): AdmissionResult => {
    entry.refusedSinceLog++;
    if (entry.loggedAt === null || t - entry.loggedAt >= logEveryMs) {
      // One line per address per window, however hard it knocks: the log is no amplifier.
      const more = entry.refusedSinceLog > 1 ? ` (${entry.refusedSinceLog} refused since the last line about it)` : '';
      log(`refused a connection from ${address}: ${reason}${more}`);
      entry.loggedAt = t;
      entry.refusedSinceLog = 0;
    }
    return { admitted: false, reason };
  };

  return {
    admit(address: string): AdmissionResult {
      const t = now();
      let entry = entries.get(address);
      if (entry) {
        entries.delete(address);
        refill(entry, t);
      } else {
        makeRoom(t);
        entry = { tokens: connectionBurst, at: t, unauthenticated: 0, refusedSinceLog: 0, loggedAt: null };
      }
      entries.set(address, entry);
      if (waitingTotal >= maxUnauthenticatedTotal) return refuse(address, entry, t, `${maxUnauthenticatedTotal} connections from all addresses not signed in yet`);
      if (entry.unauthenticated >= maxUnauthenticated) return refuse(address, entry, t, `${maxUnauthenticated} connections not signed in yet`);
      if (entry.tokens < 1) return refuse(address, entry, t, `more than ${connectionRate} new connections a second (burst ${connectionBurst})`);
      entry.tokens -= 1;
      entry.unauthenticated++;
      waitingTotal++;
      const counted = entry;
      let waiting = true;
      const done = () => {
        if (!waiting) return;
        waiting = false;
        counted.unauthenticated--;
        waitingTotal--;
      };
      return { admitted: true, admission: { signedIn: done, closed: done } };
    },
    /** Addresses tracked now (for tests and metrics). */
    size: () => entries.size,
  };
}

export type ConnectionAdmission = ReturnType<typeof createConnectionAdmission>;
