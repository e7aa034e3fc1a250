import { forbidden } from '../errors.ts';

/**
 * Whose sessions someone may see: everyone's, or only their own. Every read of sessions
 * (list, one, recording, transcript) takes a scope; a session outside it reads as unknown
 * (404), so its id says nothing about whether it exists.
 */
export type SessionScope = { kind: 'all' } | { kind: 'own'; userId: string };

export const ALL_SESSIONS: SessionScope = { kind: 'all' };

/** What the rule looks at: an http Caller, or the web UI's signed-in person, has both. */
export interface ScopeHolder {
  capabilities: readonly string[];
  /** A person; null for a machine token. */
  user: { id: string } | null;
}

/**
 * The one visibility rule: the audit capability (auditors, admins, admin tokens) sees every
 * session; any other signed-in person sees the sessions they opened themselves. A caller
 * that is neither (a gateway's token) sees none.
 */
export function sessionScope(caller: ScopeHolder): SessionScope {
  if (caller.capabilities.includes('audit')) return ALL_SESSIONS;
  if (caller.user) return { kind: 'own', userId: caller.user.id };
  throw forbidden('ERR_FORBIDDEN', 'sessions are visible to the people who opened them and to holders of the audit capability');
}

/** The user id a scope limits reads to, or null for all. */
export const scopedUserId = (scope: SessionScope): string | null => (scope.kind === 'own' ? scope.userId : null);
