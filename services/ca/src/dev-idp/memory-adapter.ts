import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  /** Epoch milliseconds; undefined lives as long as the process. */
  expiresAt: number | undefined;
}

const SWEEP_ABOVE = 10_000;

/**
 * Storage for the development provider's sessions, interactions, codes and grants: one Map
 * per provider, gone when the process ends, which is what a dev IdP wants. oidc-provider's
 * built-in equivalent is shared by every provider in the process and warns at start.
 */
export function memoryAdapterFactory(now: () => number): AdapterFactory {
  const entries = new Map<string, Entry>();
  const byUid = new Map<string, string>();
  const byUserCode = new Map<string, string>();
  const byGrant = new Map<string, Set<string>>();

  function live(key: string | undefined): Entry | undefined {
    if (key === undefined) return undefined;
    const entry = entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  function sweep(): void {
    for (const key of [...entries.keys()]) live(key);
    for (const index of [byUid, byUserCode]) for (const [k, key] of index) if (!entries.has(key)) index.delete(k);
    for (const [grantId, keys] of byGrant) {
      for (const key of keys) if (!entries.has(key)) keys.delete(key);
      if (!keys.size) byGrant.delete(grantId);
    }
  }

  return (model: string): Adapter => {
    const keyOf = (id: string) => `${model}:${id}`;
    const copy = (entry: Entry | undefined) => (entry ? { ...entry.payload } : undefined);
    return {
      async upsert(id, payload, expiresIn) {
        if (entries.size > SWEEP_ABOVE) sweep();
        const key = keyOf(id);
        entries.set(key, { payload: { ...payload }, expiresAt: expiresIn ? now() + expiresIn * 1000 : undefined });
        if (payload.uid) byUid.set(keyOf(payload.uid), key);
        if (payload.userCode) byUserCode.set(keyOf(payload.userCode), key);
        if (payload.grantId) {
          const keys = byGrant.get(payload.grantId) ?? new Set<string>();
          keys.add(key);
          byGrant.set(payload.grantId, keys);
        }
      },
      async find(id) {
        return copy(live(keyOf(id)));
      },
      async findByUid(uid) {
        return copy(live(byUid.get(keyOf(uid))));
      },
      async findByUserCode(userCode) {
        return copy(live(byUserCode.get(keyOf(userCode))));
      },
      // A consumed authorization code stays findable, marked, so a second use is seen as a replay.
      async consume(id) {
        const entry = live(keyOf(id));
        if (entry) entry.payload.consumed = Math.floor(now() / 1000);
      },
      async destroy(id) {
        entries.delete(keyOf(id));
      },
      async revokeByGrantId(grantId) {
        for (const key of byGrant.get(grantId) ?? []) entries.delete(key);
        byGrant.delete(grantId);
      },
    };
  };
}
