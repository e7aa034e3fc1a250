import { AccessError } from '../errors.ts';

/** Stable codes of `access login` refusals; the CLI keys on them, people read the messages. */
export const loginErrors = {
  notConfigured: () =>
    new AccessError(
      'ERR_LOGIN_NOT_CONFIGURED',
      503,
      'login is not configured on this CA: set ACCESS_OIDC_ISSUER, ACCESS_OIDC_CLIENT_ID and ACCESS_OIDC_CLIENT_SECRET_FILE (and ACCESS_PUBLIC_URL), or try it with "access-server start --dev"',
    ),
  badRequest: (message: string) => new AccessError('ERR_BAD_REQUEST', 400, message),
  rateLimited: () => new AccessError('ERR_RATE_LIMITED', 429, 'too many logins started from your address; wait a minute and try again'),
  notFound: () => new AccessError('ERR_LOGIN_NOT_FOUND', 404, 'no such login; start again with "access login"'),
  mode: (mode: string) => new AccessError('ERR_LOGIN_MODE', 400, `this is a ${mode} login; it cannot be finished this way`),
  secret: () => new AccessError('ERR_LOGIN_SECRET', 403, 'this login belongs to another access CLI (its secret does not match)'),
  code: (why: string) => new AccessError('ERR_LOGIN_CODE', 400, `the login code ${why}; run "access login" again`),
  expired: () => new AccessError('ERR_LOGIN_EXPIRED', 400, 'this login has expired (logins last 10 minutes); run "access login" again'),
  used: () => new AccessError('ERR_LOGIN_USED', 409, 'this login was already completed; run "access login" again for a new certificate'),
  denied: (code: string, message: string) => new AccessError('ERR_LOGIN_DENIED', 403, `the login was refused (${code}): ${message}`),
  slowDown: (interval: number) => new AccessError('ERR_SLOW_DOWN', 429, `polling too fast; wait ${interval} seconds between polls`),
  notSignedIn: () => new AccessError('ERR_LOGIN_STATE', 409, 'this login is not waiting for that step'),
  userCode: () => new AccessError('ERR_USER_CODE', 404, 'this code is unknown, already used or expired; check the code your terminal shows, or run "access login --headless" again'),
  csrf: () => new AccessError('ERR_LOGIN_CSRF', 403, 'this approval did not come from the browser that signed in for this login (missing or wrong form token); open the link again in that browser'),
};
