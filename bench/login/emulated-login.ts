import { join } from 'node:path';
import type { LoginResult } from '../../cli/src/api-types.ts';
import { accessHome } from '../../cli/src/home/access-home.ts';
import type { CliIo } from '../../cli/src/io.ts';
import { newLoginKey, newLoginSecret } from '../../cli/src/login/keypair.ts';
import { saveLogin } from '../../cli/src/login/save-login.ts';
import { browserLogin } from '../../services/ca/src/dev-idp/testing/browser-login.ts';
import { fetchWithin, postJson, sourceAddress } from './cli-http.ts';
import { listenOnLoopback } from './loopback-listener.ts';

/** Every HTTP request of a login, and the wait for the loopback callback, gives up after this long. */
const STEP_TIMEOUT_MS = 30_000;

export interface LoginTarget {
  /** The CA's public URL, no trailing slash. */
  caUrl: string;
  /** The dev IdP's demo user and the password the server was started with. */
  user: string;
  password: string;
  /** Each login writes its files into a new directory here. */
  homesDir: string;
}

export interface LoginTiming {
  /** From the IdP's redirect to the CA's callback until the CLI's files are written: what the bench reports. */
  timedMs: number;
  /** The whole login, key generation and the IdP sign-in included. */
  totalMs: number;
  /** The timed part in pieces: the CA's callback (code exchange with the IdP, sign-in recorded), the browser's hop to the loopback listener, redeem (certificate, API token), writing the files. */
  phases: { callbackMs: number; loopbackMs: number; redeemMs: number; saveMs: number };
}

export class LoginStepError extends Error {
  readonly code = 'ERR_BENCH_LOGIN';
  constructor(step: string, detail: string) {
    super(`${step}: ${detail}`);
  }
}

const describe = (body: unknown) => (typeof body === 'string' ? body : JSON.stringify(body)).slice(0, 300);

/**
 * One `access login` in browser mode without a person: a new Ed25519 key and one-time
 * secret, a loopback listener, `POST /v1/login/start`, then the plain-HTTP browser signs in
 * at the dev IdP, and the CLI redeems the code and writes its home. `index` picks the
 * client's source address and home directory, so it must differ between logins.
 */
export async function emulatedLogin(target: LoginTarget, index: number): Promise<LoginTiming> {
  const began = performance.now();
  // The CLI's own key, secret and file-writing code, so the bench measures what ships.
  const key = newLoginKey(`bench-${index}`);
  const { secret, secretHash } = newLoginSecret();
  const cli = { localAddress: sourceAddress(index), timeoutMs: STEP_TIMEOUT_MS };
  const browserFetch = fetchWithin(STEP_TIMEOUT_MS);
  const loopback = await listenOnLoopback();
  try {
    const started = await postJson(
      `${target.caUrl}/v1/login/start`,
      { publicKey: key.publicKeyLine, mode: 'browser', callbackPort: loopback.port, secretHash },
      cli,
    );
    if (started.status !== 201) throw new LoginStepError('start', `${started.status} ${describe(started.body)}`);
    const { loginId, browserUrl } = started.body as { loginId: string; browserUrl: string };

    // The person's part: open browserUrl, be sent to the IdP, sign in. Not timed.
    const callbackPath = `${target.caUrl}/v1/login/callback`;
    const signIn = await browserLogin({ authorizationUrl: browserUrl, redirectUri: callbackPath, login: target.user, password: target.password, fetch: browserFetch });
    if (!signIn.callbackUrl) throw new LoginStepError('IdP sign-in', `${signIn.status} after ${signIn.visited.join(' -> ')}`);

    // The clock starts now: the IdP has just redirected the browser to the CA's callback.
    const clockStart = performance.now();
    const atCa = await browserFetch(signIn.callbackUrl, { redirect: 'manual' });
    await atCa.body?.cancel();
    const calledBack = performance.now();
    const toLoopback = atCa.headers.get('location');
    if (atCa.status !== 302 || !toLoopback?.startsWith(`http://127.0.0.1:${loopback.port}/callback?`)) {
      throw new LoginStepError('CA callback', `${atCa.status} to ${toLoopback ?? 'nowhere'}`);
    }
    const [code] = await Promise.all([loopback.code(loginId, STEP_TIMEOUT_MS), browserFetch(toLoopback).then((page) => page.text())]);
    const gotCode = performance.now();
    const redeemed = await postJson(`${target.caUrl}/v1/login/${loginId}/redeem`, { code, secret }, cli);
    if (redeemed.status !== 200) throw new LoginStepError('redeem', `${redeemed.status} ${describe(redeemed.body)}`);
    const result = redeemed.body as LoginResult;
    if (result.certificate === null) throw new LoginStepError('redeem', `no certificate for ${target.user}`);
    const checked = performance.now();
    // As the CLI does: check the certificate is a user certificate for this key, then write the home.
    const dir = join(target.homesDir, `login-${index}`);
    await saveLogin({ io: filesOnlyIo(dir), home: accessHome({ HOME: dir, ACCESS_HOME: dir }), server: target.caUrl, key, result, hosts: [], direct: false, includeDeclined: false });
    const done = performance.now();
    return {
      timedMs: done - clockStart,
      totalMs: done - began,
      phases: { callbackMs: calledBack - clockStart, loopbackMs: gotCode - calledBack, redeemMs: checked - gotCode, saveMs: done - checked },
    };
  } finally {
    await loopback.close();
  }
}

/** What saveLogin may touch of the outside world here: files only (no agent, no terminal). */
function filesOnlyIo(dir: string): CliIo {
  const refuse = () => Promise.reject(new Error('the login bench runs no programs'));
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdinIsTTY: false,
    ask: refuse,
    env: { HOME: dir, ACCESS_HOME: dir },
    fetch,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    run: refuse,
    launch: refuse,
    platform: process.platform,
  };
}
