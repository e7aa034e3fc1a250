import { randomBytes } from 'node:crypto';
import { stateError } from '../oidc/oidc-errors.ts';
import { approveDevice, deviceEntry, type DeviceEntry } from './device-approval.ts';
import { CALLBACK_CODE_TTL_SECONDS, LOGIN_TTL_SECONDS, POLL_INTERVAL_SECONDS, denyLogin, requireRp, token, type LoginDeps } from './login-deps.ts';
import { loginErrors } from './login-errors.ts';
import { parseStartInput } from './login-input.ts';
import { completeLogin, type LoginResult } from './login-result.ts';
import { hashSecret, matchesHash, newUserCode } from './login-secrets.ts';
import { claimByState, findLogin, transition, type Login } from './login-store.ts';

export interface StartedLogin {
  loginId: string;
  expiresAt: string;
  browserUrl?: string;
  userCode?: string;
  verificationUrl?: string;
  interval?: number;
}

export type CallbackOutcome =
  /** Browser mode, success or refusal: send the browser back to the CLI's loopback listener. */
  | { mode: 'browser'; redirect: string }
  /** Headless mode: the person is signed in; the route sets the CSRF cookie and shows the device page. */
  | { mode: 'headless'; userCode: string; csrfToken: string };

export type PollOutcome = { status: 'pending' } | { status: 'complete'; result: LoginResult };

/** `access login` without HTTP: each method is one step of API-CONTRACT.md's "Login". */
export interface Logins {
  /** Checks the CLI's request (API-CONTRACT.md) and opens a login. */
  start(body: unknown, remote: string): Promise<StartedLogin>;
  /** The IdP URL to send the browser to, for a browser-mode login. */
  browserRedirect(loginId: string, remote: string): Promise<string>;
  callback(url: URL, remote: string): Promise<CallbackOutcome>;
  redeem(loginId: string, body: { code?: unknown; secret?: unknown }, remote: string): Promise<LoginResult>;
  poll(loginId: string, body: { secret?: unknown }, remote: string): Promise<PollOutcome>;
  device(userCode: unknown, csrfCookie: string | undefined, remote: string): Promise<DeviceEntry>;
  approve(userCode: unknown, csrf: { form: unknown; cookie: string | undefined }, remote: string): Promise<void>;
}

export function createLogins(input: Omit<LoginDeps, 'randomBytes'> & { randomBytes?: LoginDeps['randomBytes'] }): Logins {
  const deps: LoginDeps = { ...input, randomBytes: input.randomBytes ?? randomBytes };
  const { db, clock } = deps;
  const expired = (login: Login) => login.expiresAt <= clock();

  /** A login named by id whose CLI proves its secret; every refusal audited. */
  async function authenticate(loginId: string, secret: unknown, mode: Login['mode'], step: string, remote: string): Promise<Login> {
    const login = await findLogin(db, loginId);
    if (!login) throw await denyLogin(deps, loginErrors.notFound(), { remote, step });
    if (login.mode !== mode) throw await denyLogin(deps, loginErrors.mode(login.mode), { login, remote, step });
    if (!matchesHash(secret, login.secretHash)) throw await denyLogin(deps, loginErrors.secret(), { login, remote, step });
    return login;
  }

  /** Signs and hands over, after the login was claimed (status completed) by this caller alone. */
  async function finish(login: Login, remote: string, step: string): Promise<LoginResult> {
    try {
      return await completeLogin(deps, login, remote);
    } catch (error) {
      const refusal = await denyLogin(deps, error, { login, remote, step });
      await db.updateTable('logins').set({ status: 'failed', error_code: refusal.code, error_message: refusal.message }).where('id', '=', login.id).execute();
      throw refusal;
    }
  }

  return {
    async start(body, remote) {
      requireRp(deps);
      if (!deps.limiter.allow(remote)) throw await denyLogin(deps, loginErrors.rateLimited(), { remote, step: 'start' });
      let start;
      try {
        start = parseStartInput(body);
      } catch (error) {
        throw await denyLogin(deps, error, { remote, step: 'start' });
      }
      const now = clock();
      const id = `lgn_${deps.randomBytes(16).toString('hex')}`;
      const expiresAt = new Date(now.getTime() + LOGIN_TTL_SECONDS * 1000);
      const base = { id, mode: start.mode, public_key: start.publicKey, secret_hash: start.secretHash, callback_port: start.callbackPort, requester_ip: remote, status: 'pending' as const, expires_at: expiresAt, created_at: now };
      if (start.mode === 'browser') {
        await db.insertInto('logins').values(base).execute();
        return { loginId: id, expiresAt: expiresAt.toISOString(), browserUrl: `${deps.publicUrl}/v1/login/${id}/browser` };
      }
      for (let attempt = 0; ; attempt++) {
        const userCode = newUserCode(deps.randomBytes);
        try {
          await db.insertInto('logins').values({ ...base, user_code: userCode }).execute();
        } catch (error) {
          // Another open login has this code (one in 10^10): draw again.
          if ((error as { code?: string }).code === '23505' && attempt < 5) continue;
          throw error;
        }
        const verificationUrl = `${deps.publicUrl}/device?code=${userCode}`;
        return { loginId: id, expiresAt: expiresAt.toISOString(), userCode, verificationUrl, interval: POLL_INTERVAL_SECONDS };
      }
    },

    async browserRedirect(loginId, remote) {
      const rp = requireRp(deps);
      const login = await findLogin(db, loginId);
      if (!login || login.mode !== 'browser') throw await denyLogin(deps, loginErrors.notFound(), { login, remote, step: 'browser' });
      if (expired(login)) throw await denyLogin(deps, loginErrors.expired(), { login, remote, step: 'browser', end: 'expired' });
      if (login.status !== 'pending') throw await denyLogin(deps, loginErrors.used(), { login, remote, step: 'browser' });
      const request = await rp.authorizationUrl();
      await db
        .updateTable('logins')
        .set({ oidc_state: request.state, oidc_nonce: request.nonce, oidc_code_verifier: request.codeVerifier })
        .where('id', '=', login.id)
        .where('status', '=', 'pending')
        .execute();
      return request.url;
    },

    async callback(url, remote) {
      const rp = requireRp(deps);
      const state = url.searchParams.get('state');
      const login = state ? await claimByState(db, state) : null;
      if (!login) {
        const error = stateError('this sign-in does not belong to a login in progress (unknown or already used state); run "access login" again');
        throw await denyLogin(deps, error, { remote, step: 'callback' });
      }
      try {
        if (expired(login)) throw loginErrors.expired();
        const claims = await rp.callback(url, { state: state!, nonce: login.oidcNonce ?? '', codeVerifier: login.oidcCodeVerifier ?? '' });
        const { user } = await deps.identity.signIn(claims, { remote });
        if (login.mode === 'headless') {
          const csrfToken = token(deps);
          await transition(db, login.id, 'pending', 'signed_in', { user_id: user.id, csrf_hash: hashSecret(csrfToken) });
          return { mode: 'headless', userCode: login.userCode!, csrfToken };
        }
        const code = token(deps);
        const codeExpiresAt = new Date(clock().getTime() + CALLBACK_CODE_TTL_SECONDS * 1000);
        await transition(db, login.id, 'pending', 'signed_in', { user_id: user.id, callback_code_hash: hashSecret(code), callback_code_expires_at: codeExpiresAt });
        return { mode: 'browser', redirect: loopback(login, { code }) };
      } catch (error) {
        const refusal = await denyLogin(deps, error, { login, remote, step: 'callback', end: expired(login) ? 'expired' : 'failed' });
        if (login.mode === 'headless') throw refusal;
        return { mode: 'browser', redirect: loopback(login, { error: refusal.code, message: refusal.message }) };
      }
    },

    async redeem(loginId, body, remote) {
      const login = await authenticate(loginId, body.secret, 'browser', 'redeem', remote);
      const step = 'redeem';
      if (login.status === 'failed') throw await denyLogin(deps, loginErrors.denied(login.errorCode ?? 'ERR_LOGIN_DENIED', login.errorMessage ?? ''), { login, remote, step });
      if (login.status === 'completed') throw await denyLogin(deps, loginErrors.code('was already used'), { login, remote, step });
      if (login.status === 'expired') throw await denyLogin(deps, loginErrors.code('has expired'), { login, remote, step });
      if (login.status !== 'signed_in' || !matchesHash(body.code, login.callbackCodeHash)) throw await denyLogin(deps, loginErrors.code('is wrong'), { login, remote, step });
      if (expired(login) || (login.callbackCodeExpiresAt && login.callbackCodeExpiresAt <= clock())) {
        throw await denyLogin(deps, loginErrors.code('has expired'), { login, remote, step, end: 'expired' });
      }
      // One redeem wins; a concurrent second one finds the status moved on.
      if (!(await transition(db, login.id, 'signed_in', 'completed'))) throw await denyLogin(deps, loginErrors.code('was already used'), { login, remote, step });
      return finish(login, remote, step);
    },

    async poll(loginId, body, remote) {
      const login = await authenticate(loginId, body.secret, 'headless', 'poll', remote);
      const step = 'poll';
      const now = clock();
      if (login.lastPollAt && now.getTime() - login.lastPollAt.getTime() < POLL_INTERVAL_SECONDS * 1000) {
        throw await denyLogin(deps, loginErrors.slowDown(POLL_INTERVAL_SECONDS), { login, remote, step });
      }
      await db.updateTable('logins').set({ last_poll_at: now }).where('id', '=', login.id).execute();
      if (login.status === 'failed') throw await denyLogin(deps, loginErrors.denied(login.errorCode ?? 'ERR_LOGIN_DENIED', login.errorMessage ?? ''), { login, remote, step });
      if (login.status === 'completed') throw await denyLogin(deps, loginErrors.used(), { login, remote, step });
      if (login.status === 'expired' || expired(login)) throw await denyLogin(deps, loginErrors.expired(), { login, remote, step, end: 'expired' });
      if (login.status !== 'approved') return { status: 'pending' };
      if (!(await transition(db, login.id, 'approved', 'completed'))) throw await denyLogin(deps, loginErrors.used(), { login, remote, step });
      return { status: 'complete', result: await finish(login, remote, step) };
    },

    device: (userCode, csrfCookie, remote) => deviceEntry(deps, userCode, csrfCookie, remote),
    approve: (userCode, csrf, remote) => approveDevice(deps, userCode, csrf, remote),
  };
}

function loopback(login: Login, params: Record<string, string>): string {
  const url = new URL(`http://127.0.0.1:${login.callbackPort}/callback`);
  url.searchParams.set('login', login.id);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.href;
}
