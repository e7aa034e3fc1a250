/** A small typed client for the CA's HTTP API, as the conformance tests use it. */

export interface CaKeyInfo {
  publicKey: string;
  fingerprint: string;
  createdAt: string;
}

export interface CaInfo {
  user: CaKeyInfo[];
  host: CaKeyInfo[];
  upstream: CaKeyInfo[];
  knownHosts: string;
  trustedUserCaKeys: string;
}

export interface IssuedCertificate {
  certificate: string;
  serial: string;
  keyId: string;
  principals: string[];
  validAfter: string;
  validBefore: string;
}

export interface ApiError {
  error: { code: string; message: string };
}

export interface ApiResponse<T> {
  status: number;
  body: T;
}

export interface UserCertRequest {
  publicKey: string;
  principals: string[];
  ttl: string | number;
  keyId?: string;
  criticalOptions?: { forceCommand?: string; sourceAddress?: string; verifyRequired?: boolean };
  extensions?: string[];
}

export type HostCertRequest = Omit<UserCertRequest, 'criticalOptions' | 'extensions'>;

export class AccessApi {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async ca(): Promise<CaInfo> {
    return this.#ok(await this.#json<CaInfo>('GET', '/v1/ca'));
  }

  async krl(): Promise<Buffer> {
    const response = await fetch(`${this.baseUrl}/v1/krl`, { signal: AbortSignal.timeout(10_000) });
    if (response.status !== 200) throw new Error(`GET /v1/krl: ${response.status} ${await response.text()}`);
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith('application/octet-stream')) throw new Error(`GET /v1/krl: content-type ${type}`);
    return Buffer.from(await response.arrayBuffer());
  }

  /** POST /v1/certs/user; the body is `unknown` on purpose so tests can send what the API must refuse. */
  signUser(body: UserCertRequest | Record<string, unknown>): Promise<ApiResponse<IssuedCertificate | ApiError>> {
    return this.#json('POST', '/v1/certs/user', body);
  }

  signHost(body: HostCertRequest | Record<string, unknown>): Promise<ApiResponse<IssuedCertificate | ApiError>> {
    return this.#json('POST', '/v1/certs/host', body);
  }

  revoke(body: { serial?: string; keyId?: string; reason?: string }): Promise<ApiResponse<unknown>> {
    return this.#json('POST', '/v1/revocations', body);
  }

  /** Signs and insists on 201. */
  async issueUser(body: UserCertRequest): Promise<IssuedCertificate> {
    return this.#issued(await this.signUser(body), 'user');
  }

  async issueHost(body: HostCertRequest): Promise<IssuedCertificate> {
    return this.#issued(await this.signHost(body), 'host');
  }

  #issued(response: ApiResponse<IssuedCertificate | ApiError>, what: string): IssuedCertificate {
    if (response.status !== 201 || 'error' in response.body) {
      throw new Error(`POST /v1/certs/${what}: ${response.status} ${JSON.stringify(response.body)}`);
    }
    return response.body;
  }

  #ok<T>(response: ApiResponse<T>): T {
    if (response.status !== 200) throw new Error(`unexpected status ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body;
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new Error(`${method} ${path}: ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    return { status: response.status, body: parsed as T };
  }
}

/** True for a 4xx answer in the documented error shape. */
export function isClientError(response: ApiResponse<unknown>): boolean {
  const body = response.body as Partial<ApiError> | undefined;
  return (
    response.status >= 400 &&
    response.status < 500 &&
    typeof body?.error?.code === 'string' &&
    typeof body.error.message === 'string'
  );
}
