import type { Session } from '../../sessions/session-store.ts';
import { html, type HtmlValue } from '../html.ts';
import { when } from '../layout.ts';

export const SESSION_HEADERS = ['Session', 'Person', 'Login', 'Host', 'Kind', 'Started', 'Ended', 'State'];

/** One table row per session, linking to its replay. */
export function sessionRows(sessions: readonly Session[]): HtmlValue[][] {
  return sessions.map((s) => [
    html`<a href="/ui/sessions/${s.id}" class="mono">${s.id}</a>`,
    s.user.email,
    html`<span class="mono">${s.login}</span>`,
    s.host,
    s.kind === 'exec' && s.command ? html`exec <code>${s.command.slice(0, 80)}</code>` : s.kind,
    when(s.startedAt),
    s.endedAt ? when(s.endedAt) : '',
    html`<span class="badge ${s.status}">${s.status}</span>`,
  ]);
}
