import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

const here = (name: string) => fileURLToPath(new URL(`./assets/${name}`, import.meta.url));

/** The only files served under /ui/assets: a fixed list, so no path from a request reaches the disk. */
function assetFiles(): ReadonlyMap<string, { path: string; type: string }> {
  const require = createRequire(import.meta.url);
  return new Map([
    ['ui.css', { path: here('ui.css'), type: 'text/css; charset=utf-8' }],
    ['player.css', { path: here('player.css'), type: 'text/css; charset=utf-8' }],
    ['player.js', { path: here('player.js'), type: 'text/javascript; charset=utf-8' }],
    ['vendor/xterm-headless.mjs', { path: require.resolve('@xterm/headless/lib-headless/xterm-headless.mjs'), type: 'text/javascript; charset=utf-8' }],
  ]);
}

export function registerAssets(app: FastifyInstance): void {
  const files = assetFiles();
  const cache = new Map<string, Buffer>();
  app.get<{ Params: { '*': string } }>('/ui/assets/*', async (request, reply) => {
    const name = request.params['*'];
    const file = files.get(name);
    if (!file) return reply.status(404).type('text/plain; charset=utf-8').send('no such asset');
    let body = cache.get(name);
    if (!body) {
      body = await readFile(file.path);
      cache.set(name, body);
    }
    return reply
      .type(file.type)
      .headers({ 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', 'cross-origin-resource-policy': 'same-origin' })
      .send(body);
  });
}
