import { formatCertificate, parsePublicKey, type SshPublicKey } from '@access/sshcert';
import type { EngineerIdentity, GatewayCa, HostInfo, SessionGrant } from './ca-client.ts';

export interface HttpCaOptions {
  /** The CA's base URL, e.g. https://access.example.com */
  url: string;
  /** A machine token with the `gateway` role (`access-server token create --role gateway`). */
  token: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** A refusal or failure from the CA, with its stable code and a message meant for the engineer. */
export class CaRequestError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'CaRequestError';
  }
}

/** The CA over its authenticated gateway API, for a gateway running apart from the CA. */
export function createHttpGatewayCa(options: HttpCaOptions): GatewayCa {
  const base = options.url.replace(/\/$/, '');
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: T }> {
    let response: Response;
    try {
      response = await doFetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${options.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new CaRequestError('ERR_CA_UNREACHABLE', 503, `the gateway cannot reach the CA at ${base}: ${(error as Error).message}; try again shortly`);
    }
    const json = (await response.json().catch(() => ({}))) as T & { error?: { code?: string; message?: string } };
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
