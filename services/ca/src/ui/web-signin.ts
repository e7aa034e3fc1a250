import type { Db } from '@access/db';
import { AccessError } from '../errors.ts';
import type { Identity } from '../identity/identity.ts';
import type { RelyingParty } from '../oidc/relying-party.ts';
import { stateError } from '../oidc/oidc-errors.ts';
import type { StartLimiter } from '../login/start-limiter.ts';
import type { WebSessions } from './web-sessions.ts';

/** How long the identity provider may take to send the browser back. */
export const WEB_SIGNIN_TTL_SECONDS = 600;

/**
 * Signing in to the web UI: the same OIDC relying party and redirect URI as `access login`
 * (so an IdP needs no second registration), told apart at the callback by the state.
 */
export interface WebSignIn {
  /** The IdP URL to send the browser to; `returnTo` is a path of this UI to come back to. */
  start(returnTo: string, remote: string): Promise<string>;
  /** True when the callback's state belongs to a web sign-in (and not to an `access login`). */
  owns(state: string | null): Promise<boolean>;
  /** Finishes at the callback: signs the person in and opens a browser session. */
  finish(callbackUrl: URL, remote: string): Promise<{ secret: string; returnTo: string }>;
}

export interface WebSignInDeps {
  db: Db;
  identity: Identity;
  sessions: WebSessions;
  relyingParty: RelyingParty | null;
  limiter: StartLimiter;
  clock: () => Date;
}

/** Only a path inside the UI: never another origin, never `//host`, never a scheme. */
export function safeReturnPath(value: unknown): string {
  if (typeof value !== 'string' || !/^\/ui(?:\/[A-Za-z0-9_./?=&%-]*)?$/.test(value) || value.includes('//') || value.length > 512) return '/ui';
  return value;
}

export function createWebSignIn(deps: WebSignInDeps): WebSignIn {
  const { db, clock } = deps;
  const rp = (): RelyingParty => {
    if (!deps.relyingParty) {
      throw new AccessError('ERR_LOGIN_NOT_CONFIGURED', 503, 'sign-in is not configured on this CA: set ACCESS_OIDC_ISSUER and friends, or run "access-server start --dev"');
    }
    return deps.relyingParty;
  };
  return {
    async start(returnTo, remote) {
      const relyingParty = rp();
      if (!deps.limiter.allow(remote)) throw new AccessError('ERR_RATE_LIMITED', 429, 'too many sign-ins from this address; wait a minute and try again');
      const request = await relyingParty.authorizationUrl();
      const now = clock();
      // Sign-ins the IdP never sent back are cleared as new ones start.
      await db.deleteFrom('web_signins').where('expires_at', '<=', now).execute();
      await db
        .insertInto('web_signins')
        .values({
          state: request.state,
          nonce: request.nonce,
          code_verifier: request.codeVerifier,
          return_to: safeReturnPath(returnTo),
          remote,
          expires_at: new Date(now.getTime() + WEB_SIGNIN_TTL_SECONDS * 1000),
        })
        .execute();
      return request.url;
    },

    async owns(state) {
      if (!state) return false;
      const row = await db.selectFrom('web_signins').select('state').where('state', '=', state).executeTakeFirst();
      return row !== undefined;
    },

    async finish(callbackUrl, remote) {
      const relyingParty = rp();
      const state = callbackUrl.searchParams.get('state') ?? '';
      // Deleting claims it: a replayed callback finds nothing.
      const row = await db.deleteFrom('web_signins').where('state', '=', state).returningAll().executeTakeFirst();
      if (!row) throw stateError('this sign-in is unknown or was already used; sign in again');
      if (row.expires_at <= clock()) throw new AccessError('ERR_LOGIN_EXPIRED', 400, 'this sign-in took too long; sign in again');
      const claims = await relyingParty.callback(callbackUrl, { state: row.state, nonce: row.nonce, codeVerifier: row.code_verifier });
      const { user } = await deps.identity.signIn(claims, { remote });
      const { secret } = await deps.sessions.open(user.id, remote);
      return { secret, returnTo: row.return_to };
    },
  };
}
