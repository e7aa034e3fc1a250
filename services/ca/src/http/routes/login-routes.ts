import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { asAccessError } from '../../authority/policy.ts';
import { LOGIN_TTL_SECONDS } from '../../login/login-deps.ts';
import { PAGE_HEADERS, renderApprovePage, renderCodeEntryPage, renderContinuePage, renderMessagePage } from '../../login/pages.ts';
import type { CaServices } from '../services.ts';
import { webSessionCookie } from '../../ui/web-cookie.ts';

/** The HttpOnly cookie that binds the Approve form to the browser that signed in. */
const CSRF_COOKIE = 'access_login_csrf';

const record = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {});

function cookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const redirect = (reply: FastifyReply, url: string) => reply.headers({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).redirect(url, 302);
const html = (reply: FastifyReply, status: number, body: string) => reply.status(status).headers(PAGE_HEADERS).send(body);

/** A refusal shown to a person in a browser: a page, not JSON. */
function errorPage(reply: FastifyReply, error: unknown) {
  const refusal = asAccessError(error);
  if (refusal.status >= 500) reply.request.log.error({ err: refusal.cause ?? refusal }, 'login step failed');
  const message = refusal.status >= 500 && refusal.code === 'ERR_INTERNAL' ? 'internal error; the CA log has the details' : refusal.message;
  return html(reply, refusal.status, renderMessagePage('Sign-in did not work', message, refusal.code));
}

/**
 * `access login` (API-CONTRACT.md, "Login"): JSON for the CLI, small server-rendered pages
 * for the browser. No bearer token: the CLI's one-time secret binds the result to it.
 */
export const loginRoutes = (services: CaServices): FastifyPluginAsync =>
  async (app) => {
    const logins = services.logins;
    const secure = services.config.publicUrl.startsWith('https:');
    // Only the Approve form posts a form; this parser exists in this plugin's routes alone.
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });

    app.post('/v1/login/start', async (request, reply) => reply.status(201).send(await logins.start(request.body, request.ip)));

    app.post<{ Params: { id: string } }>('/v1/login/:id/redeem', async (request) => logins.redeem(request.params.id, record(request.body), request.ip));

    app.post<{ Params: { id: string } }>('/v1/login/:id/poll', async (request, reply) => {
      const outcome = await logins.poll(request.params.id, record(request.body), request.ip);
      return outcome.status === 'pending' ? reply.status(202).send({ status: 'pending' }) : reply.send(outcome.result);
    });

    app.get<{ Params: { id: string } }>('/v1/login/:id/browser', async (request, reply) => {
      try {
        return redirect(reply, await logins.browserRedirect(request.params.id, request.ip));
      } catch (error) {
        return errorPage(reply, error);
      }
    });

    app.get('/v1/login/callback', async (request, reply) => {
      try {
        const url = new URL(request.url, services.config.publicUrl);
        // The web UI signs in through the same redirect URI; its sign-ins own their state.
        if (await services.web.signIn.owns(url.searchParams.get('state'))) {
          const { secret, returnTo } = await services.web.signIn.finish(url, request.ip);
          reply.header('set-cookie', webSessionCookie(services.config.publicUrl, secret));
          return redirect(reply, returnTo);
        }
        const outcome = await logins.callback(url, request.ip);
        if (outcome.mode === 'browser') return redirect(reply, outcome.redirect);
        const attributes = `Path=/device; HttpOnly; SameSite=Lax; Max-Age=${LOGIN_TTL_SECONDS}${secure ? '; Secure' : ''}`;
        reply.header('set-cookie', `${CSRF_COOKIE}=${outcome.csrfToken}; ${attributes}`);
        return redirect(reply, `/device?code=${encodeURIComponent(outcome.userCode)}`);
      } catch (error) {
        return errorPage(reply, error);
      }
    });

    app.get<{ Querystring: { code?: string; typed?: string } }>('/device', async (request, reply) => {
      if (!request.query.code) return html(reply, 200, renderCodeEntryPage());
      try {
        const entry = await logins.device(request.query.code, cookie(request, CSRF_COOKIE), request.ip);
        if (entry.kind === 'sign-in') return request.query.typed ? html(reply, 200, renderContinuePage(entry.url)) : redirect(reply, entry.url);
        if (entry.kind === 'approved') return html(reply, 200, renderMessagePage('Approved', 'This login is approved; return to your terminal.'));
        return html(reply, 200, renderApprovePage(entry.view, entry.csrfToken));
      } catch (error) {
        return errorPage(reply, error);
      }
    });

    app.post('/device/approve', async (request, reply) => {
      const form = record(request.body);
      try {
        await logins.approve(form['code'], { form: form['csrf'], cookie: cookie(request, CSRF_COOKIE) }, request.ip);
        return html(reply, 200, renderMessagePage('Approved', 'Your terminal will receive its certificate in a few seconds; you can close this page.'));
      } catch (error) {
        return errorPage(reply, error);
      }
    });
  };
