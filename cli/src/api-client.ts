import type {
  Grant, GrantFilter, GrantInput, Host, HostChange, HostInput, JoinToken, JoinTokenInput, LoginResult, LoginStartInput, LoginStarted, Me, MyHost, PollOutcome, Role, RoleChange, RoleInput,
} from './api-types.ts';
import type { AuditExportDownload, AuditExportQuery, Session, SessionFilter, User } from './api-types.ts';
import { ApiError, UnreachableError } from './errors.ts';

/** Where the bearer token came from: it decides what an HTTP 401 tells the person to do. */
export type TokenSource = 'session' | 'env' | 'none';

export interface ApiClientOptions {
  server: string;
  token?: string;
  tokenSource?: TokenSource;
  fetch: typeof fetch;
  timeoutMs?: number;
}

interface Answer {
  status: number;
  body: unknown;
  /** The body as text, for answers that are not JSON (a recording). */
  text: string;
}

/** The next step a person can take after an HTTP error; login errors already say it themselves. */
function nextStep(status: number, code: string, source: TokenSource): string {
  if (code.startsWith('ERR_LOGIN') || code === 'ERR_SLOW_DOWN') return '';
  if (status === 401) {
    return source === 'env' ? 'The server does not accept ACCESS_TOKEN (wrong, expired or revoked): check it, or unset it to use your login.' : 'Run "access login" to sign in again.';
  }
  if (status === 403) return 'Your roles do not allow this: ask an admin for a grant ("access status" shows your roles).';
  if (status === 429) return 'Wait a minute and try again.';
  if (status >= 500) return 'The server failed; its log has the details. Try again later.';
  return '';
}

const enc = encodeURIComponent;

/** A typed client for the CA's HTTP API (services/ca/API-CONTRACT.md). fetch comes in. */
export class ApiClient {
  readonly server: string;
  private readonly options: ApiClientOptions;

  constructor(options: ApiClientOptions) {
    this.options = options;
    this.server = options.server.replace(/\/+$/, '');
  }

  /** One request; any 4xx/5xx becomes an ApiError, a network failure an UnreachableError. */
  async call(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<Answer> {
    const headers: Record<string, string> = { accept };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.token) headers['authorization'] = `Bearer ${this.options.token}`;
    let res: Response;
    try {
      res = await this.options.fetch(`${this.server}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
        redirect: 'error',
      });
    } catch (error) {
      throw new UnreachableError(this.server, error);
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text && (accept === 'application/json' || res.status >= 400) ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (a proxy's error page): described by its status below
    }
    if (res.status >= 400) {
      const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      const code = typeof error?.code === 'string' ? error.code : `HTTP_${res.status}`;
      const message = typeof error?.message === 'string' ? error.message : `the server answered ${res.status} ${res.statusText}`.trim();
      throw new ApiError(res.status, code, message, nextStep(res.status, code, this.options.tokenSource ?? 'none'));
    }
    return { status: res.status, body: parsed, text };
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await this.call(method, path, body)).body as T;
  }

  startLogin(input: LoginStartInput): Promise<LoginStarted> {
    return this.json('POST', '/v1/login/start', input);
  }

  redeemLogin(loginId: string, code: string, secret: string): Promise<LoginResult> {
    return this.json('POST', `/v1/login/${enc(loginId)}/redeem`, { code, secret });
  }

  async pollLogin(loginId: string, secret: string): Promise<PollOutcome> {
    const answer = await this.call('POST', `/v1/login/${enc(loginId)}/poll`, { secret });
    return answer.status === 202 ? { status: 'pending' } : { status: 'complete', result: answer.body as LoginResult };
  }

  me(): Promise<Me> {
    return this.json('GET', '/v1/me');
  }

  myHosts(): Promise<MyHost[]> {
    return this.json('GET', '/v1/me/hosts');
  }

  async logout(): Promise<void> {
    await this.call('POST', '/v1/logout', {});
  }

  readonly roles = {
    list: (): Promise<Role[]> => this.json('GET', '/v1/roles'),
    get: (name: string): Promise<Role> => this.json('GET', `/v1/roles/${enc(name)}`),
    create: (input: RoleInput): Promise<Role> => this.json('POST', '/v1/roles', input),
    update: (name: string, change: RoleChange): Promise<Role> => this.json('PATCH', `/v1/roles/${enc(name)}`, change),
    remove: async (name: string): Promise<void> => void (await this.call('DELETE', `/v1/roles/${enc(name)}`)),
  };

  readonly grants = {
    list: (filter: GrantFilter = {}): Promise<Grant[]> => {
      const q = new URLSearchParams();
      for (const key of ['user', 'group', 'role'] as const) if (filter[key] !== undefined) q.set(key, filter[key]);
      if (filter.active !== undefined) q.set('active', String(filter.active));
      const query = q.toString();
      return this.json('GET', `/v1/grants${query ? `?${query}` : ''}`);
    },
    add: (input: GrantInput): Promise<Grant> => this.json('POST', '/v1/grants', input),
    revoke: (id: string): Promise<Grant> => this.json('DELETE', `/v1/grants/${enc(id)}`),
  };

  readonly hosts = {
    list: (labels: string[] = []): Promise<Host[]> => {
      const q = new URLSearchParams(labels.map((l): [string, string] => ['label', l]));
      const query = q.toString();
      return this.json('GET', `/v1/hosts${query ? `?${query}` : ''}`);
    },
    get: (name: string): Promise<Host> => this.json('GET', `/v1/hosts/${enc(name)}`),
    add: (input: HostInput): Promise<Host> => this.json('POST', '/v1/hosts', input),
    update: (name: string, change: HostChange): Promise<Host> => this.json('PATCH', `/v1/hosts/${enc(name)}`, change),
    remove: async (name: string): Promise<void> => void (await this.call('DELETE', `/v1/hosts/${enc(name)}`)),
    joinToken: (input: JoinTokenInput): Promise<JoinToken> => this.json('POST', '/v1/hosts/tokens', input),
  };

  readonly users = {
    list: (): Promise<User[]> => this.json('GET', '/v1/users'),
    lock: (id: string, reason: string): Promise<User> => this.json('POST', `/v1/users/${enc(id)}/lock`, { reason }),
    unlock: (id: string): Promise<User> => this.json('POST', `/v1/users/${enc(id)}/unlock`, {}),
  };

  getSession(id: string): Promise<Session> {
    return this.json('GET', `/v1/sessions/${enc(id)}`);
  }

  /** asciicast v2 text; a live session's ends at its last stored event. */
  async getSessionRecording(id: string): Promise<string> {
    return (await this.call('GET', `/v1/sessions/${enc(id)}/recording`, undefined, 'application/x-asciicast')).text;
  }

  /** Newest first; page on with `before` set to the last id. */
  async listSessions(filter: SessionFilter = {}): Promise<Session[]> {
    const q = new URLSearchParams();
    for (const [key, value] of Object.entries(filter)) if (value !== undefined) q.set(key, String(value));
    const query = q.toString();
    return (await this.json<{ sessions: Session[] }>('GET', `/v1/sessions${query ? `?${query}` : ''}`)).sessions;
  }

  /** The signed audit export (a tar), streamed to the caller as it arrives. */
  async auditExport(query: AuditExportQuery): Promise<AuditExportDownload> {
    const q = new URLSearchParams({ format: query.format, sessions: String(query.sessions) });
    if (query.since !== undefined) q.set('since', query.since);
    if (query.until !== undefined) q.set('until', query.until);
    const res = await this.download(`/v1/audit/export?${q.toString()}`, 'application/x-tar');
    const count = Number(res.headers.get('x-access-audit-count') ?? NaN);
    const filename = /filename="([^"/\\]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? null;
    return { body: res.body ?? emptyBody(), filename, count: Number.isSafeInteger(count) ? count : null };
  }

  /**
   * A GET whose body may be large: the timeout covers waiting for the answer to start, not
   * the download. Errors are reported as by `call`.
   */
  private async download(path: string, accept: string): Promise<Response> {
    const headers: Record<string, string> = { accept };
    if (this.options.token) headers['authorization'] = `Bearer ${this.options.token}`;
    const started = new AbortController();
    const timer = setTimeout(() => started.abort(Object.assign(new Error('no answer in time'), { name: 'TimeoutError' })), this.options.timeoutMs ?? 30_000);
    let res: Response;
    try {
      res = await this.options.fetch(`${this.server}${path}`, { method: 'GET', headers, signal: started.signal, redirect: 'error' });
    } catch (error) {
      throw new UnreachableError(this.server, started.signal.aborted ? started.signal.reason : error);
    } finally {
      clearTimeout(timer);
    }
    if (res.status < 400) return res;
    const text = await res.text();
    let error: { code?: unknown; message?: unknown } | undefined;
    try {
      error = (JSON.parse(text) as { error?: typeof error }).error;
    } catch {
      // not JSON (a proxy's error page): described by its status below
    }
    const code = typeof error?.code === 'string' ? error.code : `HTTP_${res.status}`;
    const message = typeof error?.message === 'string' ? error.message : `the server answered ${res.status} ${res.statusText}`.trim();
    throw new ApiError(res.status, code, message, nextStep(res.status, code, this.options.tokenSource ?? 'none'));
  }
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}
