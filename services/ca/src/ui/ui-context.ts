import type { FastifyReply, FastifyRequest } from 'fastify';
import { auditDenial, callerForUser, type Caller } from '../http/caller.ts';
import type { CaServices } from '../http/services.ts';
import { AccessError } from '../errors.ts';
import { requestCookie, webCookieName } from './web-cookie.ts';

/** Who the page is for: the signed-in person, what they may do, and their form token. */
export interface UiContext {
  caller: Caller;
  /** The anti-CSRF token every form of this session carries in `_csrf`. */
  csrf: string;
  /** The cookie's secret: only sign-out needs it. */
  secret: string;
  can(need: UiNeed): boolean;
}

/** `user`: anyone signed in; `audit`: read everything; `admin`: change things. */
export type UiNeed = 'user' | 'audit' | 'admin';

declare module 'fastify' {
  interface FastifyRequest {
    ui: UiContext | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** Thrown for a request without a valid browser session: GETs go to the sign-in page. */
export class SignInRequired extends AccessError {
  constructor() {
    super('ERR_UNAUTHENTICATED', 401, 'your session has ended; sign in again');
  }
}

/**
 * A `preHandler` for every UI route but sign-in and assets: the cookie's session, the
 * person's capabilities now (so a revoked grant or a lock counts at once), the CSRF check
 * for anything that changes state, and the route's need, checked here on the server.
 * Refusals are `auth.denied` audit events, like the API's.
 */
export function requirePage(services: CaServices, need: UiNeed) {
  const publicOrigin = new URL(services.config.publicUrl).origin;
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const secret = requestCookie(request, webCookieName(services.config.publicUrl)) ?? '';
    const session = await services.web.sessions.find(secret);
    const caller = session ? await callerForUser(services, session.userId) : null;
    const deny = async (reason: string, error: AccessError): Promise<never> => {
      await auditDenial(services, request.ip, {
        type: 'auth.denied',
        actor: caller?.actor ?? { kind: 'anonymous', id: 'anonymous' },
        remote: request.ip,
        details: { route: request.routeOptions.url ?? request.url, method: request.method, reason, via: 'web' },
      });
      throw error;
    };
    if (!caller) {
      if (SAFE_METHODS.has(request.method)) throw new SignInRequired();
      await deny(session ? 'person locked' : 'no web session', new SignInRequired());
    }
    if (!SAFE_METHODS.has(request.method)) {
      // Two checks: the browser's own Origin (when sent) and the form's token.
      const origin = request.headers.origin;
      if (origin !== undefined && origin !== publicOrigin) await deny(`cross-origin form from ${origin.slice(0, 100)}`, csrfError());
      const form = request.body as Record<string, unknown> | undefined;
      if (!services.web.sessions.csrfMatches(secret, form?.['_csrf'])) await deny('missing or wrong CSRF token', csrfError());
    }
    const ui: UiContext = {
      caller: caller!,
      csrf: services.web.sessions.csrfToken(secret),
      secret,
      can: (wanted) => uiAllows(caller!, wanted),
    };
    if (!ui.can(need)) {
      await deny(`lacks the ${need} capability`, new AccessError('ERR_FORBIDDEN', 403, `this page needs the ${need} capability; ask an admin for a role that has it`));
    }
    request.ui = ui;
  };
}

export function uiAllows(caller: Caller, need: UiNeed): boolean {
  return need === 'user' || caller.capabilities.includes(need);
}

const csrfError = () => new AccessError('ERR_CSRF', 403, 'this form is stale or did not come from this site; reload the page and try again');
