import { CliError } from '../errors.ts';
import type { CliIo } from '../io.ts';
import { absoluteUrl, type LoginFlowInput } from './login-flow.ts';
import { startLoopback } from './loopback-server.ts';
import { startProgress } from './progress.ts';

/** The command that opens a URL in the person's browser, per platform. */
function opener(io: CliIo, url: string): [string, string[]] {
  if (io.platform === 'darwin') return ['open', [url]];
  if (io.platform === 'win32') return ['rundll32', ['url.dll,FileProtocolHandler', url]];
  return ['xdg-open', [url]];
}

/**
 * Browser single sign-on: a loopback listener receives the one-time code when the IdP
 * sign-in ends, and the code plus our secret are redeemed for the certificate.
 */
export async function browserLogin(input: LoginFlowInput & { openBrowser: boolean }) {
  const { io, api } = input;
  const loopback = await startLoopback();
  const signal = AbortSignal.timeout(input.timeoutMs);
  const deadline = new Date(io.now().getTime() + input.timeoutMs);
  try {
    const started = await api.startLogin({ publicKey: input.key.publicKeyLine, mode: 'browser', callbackPort: loopback.port, secretHash: input.secretHash });
    if (!started.browserUrl) throw new CliError('ERR_PROTOCOL', 'the server started a browser login without a browserUrl; is it an access CA?');
    const url = absoluteUrl(api.server, started.browserUrl);
    const callback = loopback.waitFor(started.loginId, signal);
    // Swallowed here, awaited below: a rejection must not go unhandled while the browser opens.
    callback.catch(() => undefined);
    io.stderr.write('Sign in with your browser at this URL:\n');
    io.stderr.write(`${url}\n`);
    if (input.openBrowser) {
      const [file, args] = opener(io, url);
      if (!(await io.launch(file, args))) io.stderr.write(`(could not start ${file}; open the URL yourself)\n`);
    }
    const progress = startProgress(io, 'waiting for the sign-in to finish in the browser', deadline);
    let outcome;
    try {
      outcome = await callback;
    } catch (error) {
      if (signal.aborted) throw new CliError('ERR_LOGIN_TIMEOUT', `no sign-in arrived within ${Math.round(input.timeoutMs / 1000)}s; run "access login" again (--timeout to wait longer, --headless if no browser can reach this machine)`);
      throw error;
    } finally {
      progress.stop();
    }
    if (!outcome.ok) {
      throw new CliError('ERR_LOGIN_REFUSED', `sign-in refused: ${outcome.message || 'no reason given'} (${outcome.error})`);
    }
    return await api.redeemLogin(started.loginId, outcome.code, input.secret);
  } finally {
    await loopback.close();
  }
}
