/**
 * Drives a login the way a browser would, with plain HTTP: manual redirects, a cookie
 * jar, the login form posted as a form. For tests and the quickstart smoke test only.
 */

interface StoredCookie {
  value: string;
  path: string;
}

/** Just enough of a cookie jar for one host: names, paths, and deletion by expiry. */
export class CookieJar {
  readonly #cookies = new Map<string, StoredCookie>();

  store(setCookies: string[], requestPath: string): void {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq);
      const attrs = new Map(attributes.map((a) => [a.split('=')[0]!.toLowerCase(), a.slice(a.indexOf('=') + 1)] as const));
      const path = attrs.get('path') ?? requestPath.replace(/\/[^/]*$/, '/');
      const expires = attrs.get('expires');
      const expired = attrs.get('max-age') === '0' || (expires !== undefined && Date.parse(expires) <= Date.now());
      const key = `${name}\u0000${path}`;
      if (expired) this.#cookies.delete(key);
      else this.#cookies.set(key, { value: pair.slice(eq + 1), path });
    }
  }

  header(requestPath: string): string {
    const pairs: string[] = [];
    for (const [key, cookie] of this.#cookies) {
      const inPath = requestPath === cookie.path || requestPath.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`);
      if (inPath) pairs.push(`${key.split('\u0000')[0]}=${cookie.value}`);
    }
    return pairs.join('; ');
  }
}

export interface LoginResult {
  /** The redirect back to the relying party (with `code` and `state`), when the login succeeded. */
  callbackUrl?: string | undefined;
  /** The last page shown (the login form again after a wrong password). */
  page?: string | undefined;
  status: number;
  /** Every URL visited, for failure messages. */
  visited: string[];
}

export interface LoginInput {
  authorizationUrl: string;
  redirectUri: string;
  login: string;
  password: string;
  fetch?: typeof fetch | undefined;
}

/** GET the authorization URL, fill in the login form, follow redirects until `redirectUri`. */
export async function browserLogin(input: LoginInput): Promise<LoginResult> {
  const doFetch = input.fetch ?? fetch;
  const jar = new CookieJar();
  const visited: string[] = [];
  let url = input.authorizationUrl;
  let init: RequestInit = { method: 'GET' };
  let submitted = false;
  for (let hop = 0; hop < 20; hop++) {
    if (url.startsWith(input.redirectUri)) return { callbackUrl: url, status: 302, visited };
    visited.push(url);
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = jar.header(target.pathname);
    if (cookie) headers.set('cookie', cookie);
    const response = await doFetch(url, { ...init, headers, redirect: 'manual' });
    jar.store(response.headers.getSetCookie(), target.pathname);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      url = new URL(location, url).href;
      init = { method: 'GET' };
      continue;
    }
    const page = await response.text();
    if (submitted || response.status !== 200) return { page, status: response.status, visited };
    const action = /<form[^>]*\baction="([^"]+)"/.exec(page)?.[1];
    if (!action) return { page, status: response.status, visited };
    url = new URL(action.replace(/&amp;/g, '&'), url).href;
    init = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login: input.login, password: input.password }).toString(),
    };
    submitted = true;
  }
  throw new Error(`too many redirects: ${visited.join(' -> ')}`);
}
