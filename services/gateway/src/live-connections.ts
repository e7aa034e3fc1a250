/**
 * Live engineer connections by person, so a lock can end them wherever they are, and by
 * recorded session, so an admin's terminate ends the connection that carries one.
 */
export function createLiveConnections() {
  const byUser = new Map<string, Set<(reason: string) => void>>();
  const bySession = new Map<string, (reason: string) => void>();
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
    /** Registers a recorded session with its connection's ending; returns its unregister. */
    addSession(sessionId: string, endConnection: (reason: string) => void): () => void {
      bySession.set(sessionId, endConnection);
      return () => {
        if (bySession.get(sessionId) === endConnection) bySession.delete(sessionId);
      };
    },
    /** Ends every live connection of a person; returns how many. */
    endUser(userId: string, reason: string): number {
      const ends = [...(byUser.get(userId) ?? [])];
      for (const end of ends) end(reason);
      return ends.length;
    },
    /** Ends the connection carrying this session; false when it is not live here. */
    endSession(sessionId: string, reason: string): boolean {
      const end = bySession.get(sessionId);
      end?.(reason);
      return end !== undefined;
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
