/** Live engineer connections by person, so a lock can end them wherever they are. */
export function createLiveConnections() {
  const byUser = new Map<string, Set<(reason: string) => void>>();
  return {
    /** Registers a connection's ending; returns its unregister. */
    add(userId: string, end: (reason: string) => void): () => void {
      let set = byUser.get(userId);
      if (!set) byUser.set(userId, (set = new Set()));
      set.add(end);
      return () => {
        set.delete(end);
        if (set.size === 0 && byUser.get(userId) === set) byUser.delete(userId);
      };
    },
    /** Ends every live connection of a person; returns how many. */
    endUser(userId: string, reason: string): number {
      const ends = [...(byUser.get(userId) ?? [])];
      for (const end of ends) end(reason);
      return ends.length;
    },
    endAll(reason: string): number {
      const ends = [...byUser.values()].flatMap((s) => [...s]);
      for (const end of ends) end(reason);
      return ends.length;
    },
    count(): number {
      let n = 0;
      for (const s of byUser.values()) n += s.size;
      return n;
    },
  };
}

export type LiveConnections = ReturnType<typeof createLiveConnections>;
