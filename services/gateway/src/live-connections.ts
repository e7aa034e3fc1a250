import { revocationCovers, type LiveCredential } from './revocation-match.ts';
import type { RevokeNotice } from '@access/db';

interface Live {
  end: (reason: string) => void;
  credential: LiveCredential | undefined;
}

/**
 * Live engineer connections by person, so a lock can end them wherever they are, by the
 * certificate they signed in with, so a revocation ends them too, and by recorded session,
 * so an admin's terminate ends the connection that carries one.
 */
export function createLiveConnections() {
  const byUser = new Map<string, Set<Live>>();
  const bySession = new Map<string, (reason: string) => void>();
  return {
    /** Registers a connection's ending (and the certificate it signed in with); returns its unregister. */
    add(userId: string, end: (reason: string) => void, credential?: LiveCredential): () => void {
      let set = byUser.get(userId);
      if (!set) byUser.set(userId, (set = new Set()));
      const live: Live = { end, credential };
      set.add(live);
      return () => {
        set.delete(live);
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
      for (const live of ends) live.end(reason);
      return ends.length;
    },
    /** Ends every live connection signed in with a certificate the revocation covers; returns how many. */
    endRevoked(notice: RevokeNotice, reason: string): number {
      const ends = [...byUser.values()].flatMap((s) => [...s]).filter((l) => l.credential && revocationCovers(notice, l.credential));
      for (const live of ends) live.end(reason);
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
      for (const live of ends) live.end(reason);
      return ends.length;
    },
    /** The people with a live connection here. */
    userIds(): string[] {
      return [...byUser.keys()];
    },
    count(): number {
      let n = 0;
      for (const s of byUser.values()) n += s.size;
      return n;
    },
  };
}

export type LiveConnections = ReturnType<typeof createLiveConnections>;
