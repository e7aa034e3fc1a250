import { formatCertificate, parsePublicKey, type SshPublicKey } from '@access/sshcert';
import type { EngineerIdentity, GatewayCa, HostInfo, SessionGrant } from './ca-client.ts';

export interface HttpCaOptions {
  /** The CA's base URL, e.g. https://access.example.com */
  url: string;
  /** A machine token with the `gateway` role (`access-server token create --role gateway`). */
  token: string;
  /** How long one call may take, answer included (ms): an engineer waits this long at most on a CA that does not answer. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** How long one call to the CA may take by default (ms). A healthy CA answers in milliseconds. */
export const DEFAULT_CA_TIMEOUT_MS = 5000;

/** A refusal or failure from the CA, with its stable code and a message meant for the engineer. */
export class CaRequestError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CaRequestError';
  }
}

/**
 * Why a call did not get an answer, in a few words an engineer can read: no URL, address or
 * stack (the gateway's log line carries the same words; the cause keeps the rest).
 */
export function unreachableReason(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${formatMs(timeoutMs)}`;
  switch (e.cause?.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return 'the connection was cut';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'its name does not resolve';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to it';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'the connection timed out';
    default:
      return (e.cause?.message ?? e.message ?? 'unknown error').replace(/[\r\n]+/g, ' ').slice(0, 120);
  }
}

const formatMs = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

/** The CA over its authenticated gateway API, for a gateway running apart from the CA. */
export function createHttpGatewayCa(options: HttpCaOptions): GatewayCa {
  const base = options.url.replace(/\/$/, '');
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_CA_TIMEOUT_MS;

  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: T }> {
    // One deadline for the connection, the request and the answer's body.
    const signal = AbortSignal.timeout(timeoutMs);
    const unreachable = (error: unknown) =>
      new CaRequestError('ERR_CA_UNREACHABLE', 503, `the access CA is unreachable (${unreachableReason(error, timeoutMs)}); try again shortly`, { cause: error });
    let response: Response;
    try {
      response = await doFetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${options.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal,
      });
    } catch (error) {
      throw unreachable(error);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw unreachable(error);
    }
    const json = parseJson(text) as T & { error?: { code?: string; message?: string } };
    if (response.status >= 500) {
      // A proxy in front of a CA that is down (502, 503, 504), or the CA failing (its database away).
      const said = json.error?.message ? `: ${json.error.message.replace(/[\r\n]+/g, ' ').slice(0, 120)}` : '';
      throw new CaRequestError(json.error?.code ?? 'ERR_CA_UNAVAILABLE', response.status, `the access CA is unavailable (HTTP ${response.status}${said}); try again shortly`);
    }
    if (response.status >= 400 && response.status !== 404) {
      throw new CaRequestError(json.error?.code ?? 'ERR_CA', response.status, json.error?.message ?? `the CA answered ${response.status}`);
    }
    return { status: response.status, json };
  }

  const toIdentity = (j: EngineerIdentity & { validBefore: string | Date }): EngineerIdentity => ({ ...j, validBefore: new Date(j.validBefore) });

  return {
    async trustedKeys(kind) {
      const { json } = await call<Record<string, Array<{ publicKey: string }>>>('GET', '/v1/ca');
      return (json[kind] ?? []).map((k): SshPublicKey => parsePublicKey(k.publicKey));
    },
    async identify(certificate) {
      const { status, json } = await call<EngineerIdentity & { validBefore: string }>('POST', '/v1/gateway/identify', { certificate: formatCertificate(certificate) });
      if (status === 404) throw new CaRequestError('ERR_NOT_FOUND', 404, 'the CA does not know this person');
      return toIdentity(json);
    },
    async findHost(destination) {
      const { status, json } = await call<HostInfo>('POST', '/v1/gateway/hosts/lookup', { destination });
      return status === 404 ? null : json;
    },
    async authorize(request) {
      const { status, json } = await call<SessionGrant & { validBefore: string }>('POST', '/v1/gateway/authorize', {
        certificate: formatCertificate(request.certificate),
        login: request.login,
        destination: request.destination,
        connectionId: request.connectionId,
        upstreamPublicKey: request.upstreamPublicKey,
        sourceAddress: request.sourceAddress,
        clientAddress: request.clientAddress,
      });
      if (status === 404) throw new CaRequestError('ERR_UNKNOWN_HOST', 404, `"${request.destination}" is not an enrolled host`);
      return { ...json, validBefore: new Date(json.validBefore) };
    },
    async hostCertificate(names, publicKey) {
      const { json } = await call<{ certificate: string; validBefore: string }>('POST', '/v1/gateway/host-certificate', { names, publicKey });
      return { certificate: json.certificate, validBefore: new Date(json.validBefore) };
    },
  };
}

/** The answer's JSON object; an empty one for anything else (an HTML error page, nothing). */
function parseJson(text: string): object {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? value : {};
  } catch {
    return {};
  }
}
