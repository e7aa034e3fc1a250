import type { FastifyError, FastifyPluginAsync } from 'fastify';
import { AccessError } from '../errors.ts';
import type { CaServices } from '../http/services.ts';
import { html } from './html.ts';
import { seeOther, sendPage } from './ui-reply.ts';
import { bare } from './layout.ts';
import { registerAuditPages } from './pages/audit-pages.ts';
import { registerGrantPages } from './pages/grant-pages.ts';
import { registerHomePage } from './pages/home-page.ts';
import { registerHostPages } from './pages/host-pages.ts';
import { registerRolePages } from './pages/role-pages.ts';
import { registerSessionPages } from './pages/session-pages.ts';
import { registerUserPages } from './pages/user-pages.ts';
import { registerAssets } from './ui-assets.ts';
import { requirePage, SignInRequired } from './ui-context.ts';
import { clearedWebSessionCookie } from './web-cookie.ts';
import { safeReturnPath } from './web-signin.ts';

/** Form bodies of the UI are small: a role with its label selectors is the largest. */
const FORM_LIMIT = 32 * 1024;

/**
 * The web UI for admins, auditors and engineers: server-rendered pages under /ui, signed in
 * through the same OIDC provider as `access login`. Every route states what it needs and
 * `requirePage` checks it on the server; forms carry a CSRF token; pages carry a strict CSP.
 */
export const uiRoutes = (services: CaServices): FastifyPluginAsync =>
  async (app) => {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });

    app.setErrorHandler(async (error: FastifyError | AccessError, request, reply) => {
      if (error instanceof SignInRequired && (request.method === 'GET' || request.method === 'HEAD')) {
        return reply.headers({ 'cache-control': 'no-store' }).redirect(`/ui/signin?return=${encodeURIComponent(safeReturnPath(request.url))}`, 303);
      }
      const status = error instanceof AccessError ? error.status : typeof error.statusCode === 'number' && error.statusCode < 500 ? error.statusCode : 500;
      if (status >= 500) request.log.error({ err: error instanceof AccessError ? (error.cause ?? error) : error }, 'page failed');
      const message = status >= 500 && !(error instanceof AccessError && error.code !== 'ERR_INTERNAL') ? 'internal error; the CA log has the details' : error.message;
      const code = error instanceof AccessError ? error.code : (error.code ?? 'ERR_BAD_REQUEST');
      const back = request.ui ? html`<p><a href="/ui">Back to the start page</a></p>` : html`<p><a href="/ui/signin">Sign in</a></p>`;
      return sendPage(reply, bare(status === 403 ? 'Not allowed' : 'That did not work', html`<p class="error" role="alert">${message}</p><p>Error code: <code>${code}</code></p>${back}`), status);
    });

    app.get('/', async (_request, reply) => reply.redirect('/ui', 302));
    // Browsers ask for it on every page; there is none, and a 404 would only be noise in their console.
    app.get('/favicon.ico', async (_request, reply) => reply.status(204).header('cache-control', 'max-age=86400').send());
    registerAssets(app);

    // The way on is a link, not a form: it ends at the identity provider, another origin,
    // and browsers apply `form-action 'self'` to where a form's redirects lead too.
    app.get<{ Querystring: { return?: string; done?: string } }>('/ui/signin', async (request, reply) => {
      const returnTo = safeReturnPath(request.query.return);
      const signedOut = request.query.done === 'signed-out' ? html`<p class="notice" role="status">You are signed out.</p>` : '';
      return sendPage(
        reply,
        bare(
          'Sign in to access',
          html`${signedOut}<p>Admins grant roles here; auditors search, replay and export sessions; engineers see their own access and sessions.</p>
<p><a class="button" href="/ui/signin/start?return=${encodeURIComponent(returnTo)}">Sign in with your identity provider</a></p>
`,
        ),
      );
    });

    app.get<{ Querystring: { return?: string } }>('/ui/signin/start', async (request, reply) => {
      const url = await services.web.signIn.start(safeReturnPath(request.query.return), request.ip);
      return reply.headers({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).redirect(url, 302);
    });

    app.post('/ui/signout', { preHandler: requirePage(services, 'user') }, async (request, reply) => {
      await services.web.sessions.end(request.ui!.secret);
      reply.header('set-cookie', clearedWebSessionCookie(services.config.publicUrl));
      return seeOther(reply, '/ui/signin?done=signed-out');
    });

    registerHomePage(app, services);
    registerSessionPages(app, services);
    registerHostPages(app, services);
    registerRolePages(app, services);
    registerGrantPages(app, services);
    registerUserPages(app, services);
    registerAuditPages(app, services);
  };
