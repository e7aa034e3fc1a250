import { ApiError, CliError } from '../errors.ts';
import { absoluteUrl, type LoginFlowInput } from './login-flow.ts';
import { startProgress } from './progress.ts';

const DEFAULT_INTERVAL_SECONDS = 5;
/** RFC 8628 §3.5: on slow_down, add five seconds to the interval for this and every later poll. */
const SLOW_DOWN_SECONDS = 5;

/**
 * Device-style login for a machine without a browser: the person opens the verification URL
 * anywhere, signs in and approves; we poll with our secret until the result is ready.
 */
export async function headlessLogin(input: LoginFlowInput) {
  const { io, api } = input;
  const started = await api.startLogin({ publicKey: input.key.publicKeyLine, mode: 'headless', secretHash: input.secretHash });
  if (!started.verificationUrl) throw new CliError('ERR_PROTOCOL', 'the server started a headless login without a verificationUrl; is it an access CA?');
  io.stderr.write('To sign in, open this URL on any device with a browser:\n');
  io.stderr.write(`${absoluteUrl(api.server, started.verificationUrl)}\n`);
  if (started.userCode) io.stderr.write(`and check that the page shows the code ${started.userCode} and this key: ${input.key.fingerprint}\n`);

  const expires = Date.parse(started.expiresAt);
  const deadline = new Date(Math.min(io.now().getTime() + input.timeoutMs, Number.isNaN(expires) ? Infinity : expires));
  let interval = Math.max(1, started.interval ?? DEFAULT_INTERVAL_SECONDS);
  const progress = startProgress(io, 'waiting for the approval', deadline);
  try {
    for (;;) {
      const wait = Math.min(interval * 1000, deadline.getTime() - io.now().getTime());
      if (wait <= 0) break;
      await io.sleep(wait);
      try {
        const outcome = await api.pollLogin(started.loginId, input.secret);
        if (outcome.status === 'complete') return outcome.result;
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 429)) throw error;
        interval += SLOW_DOWN_SECONDS;
      }
    }
  } finally {
    progress.stop();
  }
  throw new CliError('ERR_LOGIN_TIMEOUT', 'the login was not approved in time; run "access login --headless" again');
}
