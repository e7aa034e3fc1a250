import { fingerprint, parsePublicKey } from '@access/sshcert';
import { resolveAccess } from '../identity/access-resolver.ts';
import { getUser } from '../identity/users.ts';
import { denyLogin, requireRp, type LoginDeps } from './login-deps.ts';
import { loginErrors } from './login-errors.ts';
import { matchesHash, normalizeUserCode } from './login-secrets.ts';
import { findByUserCode, transition, type Login } from './login-store.ts';

/** What the person approving a headless login is shown, so they can tell it is theirs. */
export interface DeviceView {
  userCode: string;
  /** The address that started the login: the machine the CLI runs on, as this CA sees it. */
  requesterIp: string;
  keyType: string;
  keyFingerprint: string;
  email: string;
  principals: string[];
  roles: string[];
  expiresAt: Date;
}

export type DeviceEntry =
  /** Nobody signed in for this login yet: send the browser to the IdP. */
  | { kind: 'sign-in'; url: string }
  /** Signed in from this browser: show the details and the Approve form carrying this token. */
  | { kind: 'approve'; view: DeviceView; csrfToken: string }
  | { kind: 'approved' };

/** The open, unexpired login a typed user code names; refusals audited. */
async function openLogin(deps: LoginDeps, raw: unknown, remote: string, step: string): Promise<Login> {
  const userCode = normalizeUserCode(raw);
  const login = userCode ? await findByUserCode(deps.db, userCode) : null;
  if (!login) throw await denyLogin(deps, loginErrors.userCode(), { remote, step });
  if (login.expiresAt <= deps.clock()) throw await denyLogin(deps, loginErrors.userCode(), { login, remote, step, end: 'expired' });
  return login;
}

/**
 * The device page's answer for a user code. The browser that completed the sign-in holds
 * the login's CSRF token in an HttpOnly cookie: only it is shown the Approve form, so a
 * person who merely learns the code cannot approve someone else's sign-in.
 */
export async function deviceEntry(deps: LoginDeps, raw: unknown, csrfCookie: string | undefined, remote: string): Promise<DeviceEntry> {
  const rp = requireRp(deps);
  const login = await openLogin(deps, raw, remote, 'device');
  if (login.status === 'approved') return { kind: 'approved' };
  if (login.status === 'pending') {
    const request = await rp.authorizationUrl();
    await deps.db
      .updateTable('logins')
      .set({ oidc_state: request.state, oidc_nonce: request.nonce, oidc_code_verifier: request.codeVerifier })
      .where('id', '=', login.id)
      .where('status', '=', 'pending')
      .execute();
    return { kind: 'sign-in', url: request.url };
  }
  if (!csrfCookie || !matchesHash(csrfCookie, login.csrfHash)) throw await denyLogin(deps, loginErrors.csrf(), { login, remote, step: 'device' });
  let view: DeviceView;
  try {
    const user = await getUser(deps.db, login.userId!);
    const access = await resolveAccess(deps.db, user, deps.clock());
    const key = parsePublicKey(login.publicKey);
    view = {
      userCode: login.userCode!,
      requesterIp: login.requesterIp ?? 'unknown',
      keyType: key.type,
      keyFingerprint: fingerprint(key.blob),
      email: user.email,
      principals: access.principals,
      roles: access.roles,
      expiresAt: login.expiresAt,
    };
  } catch (error) {
    throw await denyLogin(deps, error, { login, remote, step: 'device', end: 'failed' });
  }
  return { kind: 'approve', view, csrfToken: csrfCookie };
}

/** The person pressed Approve: the form token and the cookie must both be this login's. */
export async function approveDevice(deps: LoginDeps, raw: unknown, csrf: { form: unknown; cookie: string | undefined }, remote: string): Promise<void> {
  requireRp(deps);
  const login = await openLogin(deps, raw, remote, 'approve');
  if (!matchesHash(csrf.form, login.csrfHash) || !matchesHash(csrf.cookie, login.csrfHash)) {
    throw await denyLogin(deps, loginErrors.csrf(), { login, remote, step: 'approve' });
  }
  if (!(await transition(deps.db, login.id, 'signed_in', 'approved'))) {
    throw await denyLogin(deps, loginErrors.notSignedIn(), { login, remote, step: 'approve' });
  }
}
