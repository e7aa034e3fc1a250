import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CaRequestError, createHttpGatewayCa } from './http-ca.ts';

const servers: Server[] = [];
const held: Socket[] = [];
afterEach(async () => {
  for (const s of held.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A port that accepts connections and never answers: a CA hung, or a network that drops replies. */
async function silentPort(): Promise<number> {
  const server = createServer((s) => held.push(s));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

const answering = (status: number, body: string): typeof fetch => (async () => new Response(body, { status })) as typeof fetch;

async function failure(promise: Promise<unknown>): Promise<CaRequestError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(CaRequestError);
  return error as CaRequestError;
}

describe('createHttpGatewayCa when the CA cannot answer', () => {
  it('says in one line, without its address, that a refused connection means the CA is unreachable', async () => {
    const port = await closedPort();
    const ca = createHttpGatewayCa({ url: `http://127.0.0.1:${port}`, token: 't' });
    const error = await failure(ca.findHost('web-1'));
    expect(error).toMatchObject({ code: 'ERR_CA_UNREACHABLE', status: 503, message: 'the access CA is unreachable (connection refused); try again shortly' });
    expect(error.cause).toBeDefined();
  });

  it('gives up on a CA that does not answer after timeoutMs', async () => {
    const port = await silentPort();
    const ca = createHttpGatewayCa({ url: `http://127.0.0.1:${port}`, token: 't', timeoutMs: 300 });
    const started = performance.now();
    const error = await failure(ca.trustedKeys('user'));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(error).toMatchObject({ code: 'ERR_CA_UNREACHABLE', message: 'the access CA is unreachable (no answer within 300 ms); try again shortly' });
  });

  it('says a proxy\'s 502 page, or a CA failing, means it is unavailable', async () => {
    const viaProxy = createHttpGatewayCa({ url: 'http://ca.invalid', token: 't', fetch: answering(502, '<html>Bad Gateway</html>') });
    expect(await failure(viaProxy.findHost('web-1'))).toMatchObject({ code: 'ERR_CA_UNAVAILABLE', status: 502, message: 'the access CA is unavailable (HTTP 502); try again shortly' });
    const failing = createHttpGatewayCa({ url: 'http://ca.invalid', token: 't', fetch: answering(500, JSON.stringify({ error: { code: 'ERR_INTERNAL', message: 'internal error' } })) });
    expect(await failure(failing.findHost('web-1'))).toMatchObject({ code: 'ERR_INTERNAL', status: 500, message: 'the access CA is unavailable (HTTP 500: internal error); try again shortly' });
  });

  it('passes the CA\'s own refusals on as they are', async () => {
    const ca = createHttpGatewayCa({ url: 'http://ca.invalid', token: 't', fetch: answering(403, JSON.stringify({ error: { code: 'ERR_USER_LOCKED', message: 'your account was locked' } })) });
    expect(await failure(ca.findHost('web-1'))).toMatchObject({ code: 'ERR_USER_LOCKED', status: 403, message: 'your account was locked' });
    const unknown = createHttpGatewayCa({ url: 'http://ca.invalid', token: 't', fetch: answering(404, JSON.stringify({ error: { code: 'ERR_NOT_FOUND', message: 'no' } })) });
    expect(await unknown.findHost('db-9')).toBeNull();
  });
});
