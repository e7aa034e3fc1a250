import { describe, expect, it } from 'vitest';
import { ApiClient } from './api-client.ts';
import { ApiError } from './errors.ts';

const answering = (status: number, body: string, contentType = 'application/json'): typeof fetch =>
  async () => new Response(body, { status, statusText: status === 502 ? 'Bad Gateway' : '', headers: { 'content-type': contentType } });

describe('ApiClient', () => {
  it('sends the bearer token and JSON, and encodes names in paths', async () => {
    const seen: Array<{ url: string; init: RequestInit | undefined }> = [];
    const api = new ApiClient({
      server: 'https://ca.example/',
      token: 'acu_x',
      fetch: async (url, init) => (seen.push({ url: String(url), init }), new Response('{"name":"a b"}', { status: 200 })),
    });
    await api.roles.update('a b/c', { maxTtl: '1h' });
    expect(seen[0]!.url).toBe('https://ca.example/v1/roles/a%20b%2Fc');
    expect(seen[0]!.init).toMatchObject({ method: 'PATCH', body: '{"maxTtl":"1h"}', headers: { authorization: 'Bearer acu_x', 'content-type': 'application/json' } });
  });

  it('turns a contract error into an ApiError with the server\'s code and message', async () => {
    const api = new ApiClient({ server: 'https://ca.example', fetch: answering(409, '{"error":{"code":"ERR_HOST_EXISTS","message":"a host named web-1 exists"}}') });
    const error = await api.hosts.add({ name: 'web-1', address: 'x', labels: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, serverCode: 'ERR_HOST_EXISTS', message: 'a host named web-1 exists (ERR_HOST_EXISTS, HTTP 409)' });
  });

  it('describes an error page that is not JSON (a proxy) by its status', async () => {
    const api = new ApiClient({ server: 'https://ca.example', token: 't', tokenSource: 'session', fetch: answering(502, '<html>bad gateway</html>', 'text/html') });
    await expect(api.myHosts()).rejects.toThrow(/^the server answered 502 Bad Gateway \(HTTP_502, HTTP 502\)\nThe server failed/);
  });

  it('returns a recording as the text it is, and still reads a JSON error from its route', async () => {
    const cast = '{"version":2,"width":80,"height":24}\n[0.1,"o","$ "]\n';
    const seen: string[] = [];
    const api = new ApiClient({ server: 'https://ca.example', fetch: async (url, init) => (seen.push(`${(init?.headers as Record<string, string>)['accept']} ${String(url)}`), new Response(cast, { status: 200 })) });
    expect(await api.getSessionRecording('ses_1')).toBe(cast);
    expect(seen).toEqual(['application/x-asciicast https://ca.example/v1/sessions/ses_1/recording']);
    const missing = new ApiClient({ server: 'https://ca.example', fetch: answering(404, '{"error":{"code":"ERR_UNKNOWN_SESSION","message":"no session ses_1"}}') });
    await expect(missing.getSessionRecording('ses_1')).rejects.toMatchObject({ status: 404, serverCode: 'ERR_UNKNOWN_SESSION' });
  });

  it('tells 202 pending from 200 complete when polling a login', async () => {
    const pending = new ApiClient({ server: 'https://ca.example', fetch: answering(202, '{"status":"pending"}') });
    expect(await pending.pollLogin('lgn_1', 's')).toEqual({ status: 'pending' });
    const done = new ApiClient({ server: 'https://ca.example', fetch: answering(200, '{"principals":["a"]}') });
    expect(await done.pollLogin('lgn_1', 's')).toEqual({ status: 'complete', result: { principals: ['a'] } });
  });
});
