import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { TestCa } from '../testing/test-ca.ts';
import { webCookieName } from './web-cookie.ts';

/** A browser signed in to the UI as a person: GETs and form POSTs with their cookie and CSRF token. */
export interface UiBrowser {
  csrf: string;
  get(url: string): Promise<LightMyRequestResponse>;
  /** A form POST; `_csrf` is added unless the form sets it (to a wrong value, say). */
  post(url: string, form?: Record<string, string>, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
}

export async function uiBrowser(ca: TestCa, userId: string): Promise<UiBrowser> {
  const { secret } = await ca.services.web.sessions.open(userId, '127.0.0.1');
  const cookie = `${webCookieName(ca.config.publicUrl)}=${secret}`;
  const csrf = ca.services.web.sessions.csrfToken(secret);
  return {
    csrf,
    get: (url) => ca.app.inject({ method: 'GET', url, headers: { cookie } }),
    post: (url, form = {}, headers = {}) => {
      const options: InjectOptions = {
        method: 'POST',
        url,
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload: new URLSearchParams({ _csrf: csrf, ...form }).toString(),
      };
      return ca.app.inject(options);
    },
  };
}
