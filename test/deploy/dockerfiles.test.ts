import { readFileSync } from 'node:fs';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { repoPath } from './deploy-files.ts';
import { checkDockerfile } from './dockerfile-rules.ts';

const APP = 'deploy/docker/Dockerfile';
const TARGET = 'deploy/docker/demo-target.Dockerfile';
const read = (path: string): string => readFileSync(repoPath(path), 'utf8');

describe('Dockerfiles', () => {
  it.each([APP, TARGET])('%s passes the dockerfile-utils linter without a diagnostic', (path) => {
    const diagnostics = validate(read(path)).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(diagnostics).toEqual([]);
  });

  it('the application image follows every rule', () => {
    expect(checkDockerfile(read(APP))).toEqual([]);
  });

  it('the demo target follows every rule but two: one stage, which installs its one package', () => {
    expect(checkDockerfile(read(TARGET), { singleStageServer: true })).toEqual([]);
  });

  it('the application runs on a distroless Node 20 image, with the healthcheck script that exists', () => {
    const text = read(APP);
    expect(text).toMatch(/^ARG RUNTIME_IMAGE=gcr\.io\/distroless\/nodejs20-debian12:nonroot$/m);
    const runtime = DockerfileParser.parse(text).getFROMs().at(-1);
    expect(runtime?.getImage()).toBe('${RUNTIME_IMAGE}');
    expect(text).toContain('"/app/deploy/docker/healthcheck.mjs"');
    expect(text).toMatch(/^USER 65532:65532$/m);
  });

  it('.dockerignore keeps what the images run and drops the rest', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['.git', '**/node_modules', '.access-data', 'test']));
    for (const kept of ['deploy', 'services', 'packages', 'cli', 'migrations', 'patches']) expect(ignored).not.toContain(kept);
  });

  describe('the rules catch', () => {
    const good = read(APP);
    it.each([
      ['an unpinned base image', good.replace('ARG BUILD_IMAGE=node:20.20.2-bookworm-slim', 'ARG BUILD_IMAGE=node:latest'), /not pinned/],
      ['a base image with no tag', good.replace('ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs20-debian12:nonroot', 'ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs20-debian12'), /not pinned/],
      ['a root user', good.replace('USER 65532:65532\nEXPOSE', 'USER root\nEXPOSE'), /is root/],
      ['no user', good.replace('USER 65532:65532\nEXPOSE', 'EXPOSE'), /no USER/],
      ['a shell-form healthcheck', good.replace('CMD ["/nodejs/bin/node", "/app/deploy/docker/healthcheck.mjs", "http://127.0.0.1:3080/readyz"]', 'CMD curl -f http://127.0.0.1:3080/readyz'), /exec form/],
      ['a shell-form entrypoint', good.replace('ENTRYPOINT ["/nodejs/bin/node", "/app/services/ca/bin/access-server.js"]\nCMD', 'ENTRYPOINT node /app/services/ca/bin/access-server.js\nCMD'), /ENTRYPOINT is not in exec form/],
      ['an ADD of a URL', good.replace('WORKDIR /app\nENV NODE_ENV', 'WORKDIR /app\nADD https://example.com/x.tgz /x.tgz\nENV NODE_ENV'), /ADD of a URL/],
      ['a package install in the final stage', `${good}\nRUN npm install left-pad\n`, /installs packages/],
      ['a COPY without --chown in the final stage', `${good}\nCOPY README.md /app/\n`, /without --chown/],
      ['a single-stage build', 'FROM node:20.20.2\nUSER node\nHEALTHCHECK CMD ["node", "-e", "0"]\nENTRYPOINT ["node"]\n', /multi-stage/],
    ])('%s', (_label, text, message) => {
      expect(checkDockerfile(text).join('\n')).toMatch(message);
    });
  });
});
