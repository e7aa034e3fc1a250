import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider } from 'oidc-provider';
import { findDemoUser, passwordMatches } from './demo-users.ts';
import { renderLoginPage, renderMessagePage, sendHtml } from './login-page.ts';

const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]{1,128})(\/login)?$/;
const MAX_FORM_BYTES = 4096;

export interface InteractionOptions {
  provider: Provider;
  password: string;
}

/**
 * Handles the provider's interaction URLs (`/interaction/<uid>`): the sign-in form and
 * automatic consent. Returns false for any other path, which then goes to oidc-provider.
 */
export function createInteractionHandler(options: InteractionOptions) {
  const { provider, password } = options;

  async function show(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      sendHtml(res, 200, renderLoginPage({ action: `/interaction/${details.uid}/login`, clientId: String(details.params['client_id']) }));
      return;
    }
    if (details.prompt.name === 'consent') {
      await consent(req, res, details);
      return;
    }
    sendHtml(res, 400, renderMessagePage('Cannot continue', `unsupported prompt ${details.prompt.name}`));
  }

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    const form = await readForm(req);
    const loginName = form.get('login') ?? '';
    const user = findDemoUser(loginName);
    // Compare even for an unknown user, so the answer takes as long either way.
    const ok = passwordMatches(form.get('password') ?? '', password) && user !== undefined;
    if (!ok || !user) {
      const page = renderLoginPage({
        action: `/interaction/${details.uid}/login`,
        clientId: String(details.params['client_id']),
        login: loginName,
        error: 'Wrong email or password.',
      });
      sendHtml(res, 200, page);
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: user.id } }, { mergeWithLastSubmission: false });
  }

  /** Every client here is one the operator configured (the CA itself), so consent is given for it. */
  async function consent(req: IncomingMessage, res: ServerResponse, details: Awaited<ReturnType<Provider['interactionDetails']>>): Promise<void> {
    const accountId = details.session?.accountId;
    if (!accountId) throw new Error('consent without a session');
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId: String(details.params['client_id']) });
    if (!grant) throw new Error('grant not found');
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  return async function handleInteraction(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = new URL(req.url ?? '/', 'http://idp.invalid').pathname;
    const match = INTERACTION_PATH.exec(path);
    if (!match) return false;
    const isLogin = match[2] === '/login';
    try {
      if (isLogin && req.method === 'POST') await login(req, res);
      else if (!isLogin && req.method === 'GET') await show(req, res);
      else sendHtml(res, 405, renderMessagePage('Method not allowed', `${req.method ?? ''} is not allowed here`));
    } catch (error) {
      // Expired or unknown interactions and missing cookies land here; say so without details.
      const message = error instanceof Error && 'error_description' in error ? String(error.error_description) : 'the sign-in attempt could not continue; start the login again';
      if (!res.headersSent) sendHtml(res, 400, renderMessagePage('Sign-in failed', message));
    }
    return true;
  };
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) return new URLSearchParams();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
