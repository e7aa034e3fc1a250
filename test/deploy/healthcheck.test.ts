import { execFile } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { repoPath } from './deploy-files.ts';

const run = promisify(execFile);
const SCRIPT = repoPath('deploy/docker/healthcheck.mjs');
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** The container healthcheck's exit code for these arguments. */
async function healthcheck(...args: string[]): Promise<number> {
  try {
    await run(process.execPath, [SCRIPT, ...args], { timeout: 10_000 });
    return 0;
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  }
}

describe('deploy/docker/healthcheck.mjs', () => {
  it('is healthy when the CA answers /readyz with 200, unhealthy on 503 or no answer', async () => {
    let ready = true;
    const port = await listen(createHttpServer((_req, res) => res.writeHead(ready ? 200 : 503).end('{}')));
    expect(await healthcheck(`http://127.0.0.1:${port}/readyz`)).toBe(0);
    ready = false;
    expect(await healthcheck(`http://127.0.0.1:${port}/readyz`)).toBe(1);
    const closed = await listen(createTcpServer());
    await new Promise((resolve) => servers.pop()?.close(resolve));
    expect(await healthcheck(`http://127.0.0.1:${closed}/readyz`)).toBe(1);
  });

  it('is healthy when an SSH server sends its version line, unhealthy when something else answers', async () => {
    const ssh = await listen(createTcpServer((socket) => socket.end('SSH-2.0-access\r\n')));
    expect(await healthcheck('ssh', `127.0.0.1:${ssh}`)).toBe(0);
    const other = await listen(createTcpServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
    expect(await healthcheck('ssh', `127.0.0.1:${other}`)).toBe(1);
    expect(await healthcheck('ssh', 'nonsense')).toBe(1);
  });
});
