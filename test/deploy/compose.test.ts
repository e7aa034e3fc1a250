import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { repoPath } from './deploy-files.ts';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; target?: string };
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  cap_add?: string[];
  security_opt?: string[];
  privileged?: boolean;
  restart?: string;
  network_mode?: string;
  pid?: string;
  ports?: string[];
  volumes?: string[];
  entrypoint?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
}
interface ComposeFile {
  services: Record<string, Service>;
}

const require = createRequire(import.meta.url);
const text = readFileSync(repoPath('docker-compose.yml'), 'utf8');
// Compose files use YAML merge keys (`<<: *hardening`); Compose itself resolves them first.
const compose = parse(text, { merge: true }) as ComposeFile;
const services = Object.entries(compose.services);
/** dclint ships the Compose Specification's JSON schema (compose-spec/compose-spec, schema/compose-spec.json). */
const dclintDir = dirname(require.resolve('dclint/package.json'));
const schemaPath = join(dclintDir, 'schemas', 'compose.schema.json');

/** The schema compiled by ajv (draft-07 is its default; the file names the draft by an https URL ajv does not know). */
function composeValidator(): { ajv: Ajv; validate: ReturnType<Ajv['compile']> } {
  const { $schema: _draft, ...schema } = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  return { ajv, validate: ajv.compile(schema) };
}

/** `/app/…` in an image is `…` in the repository (the build copies the repository to /app). */
const inRepo = (appPath: string): string => repoPath(appPath.replace(/^\/app\//, ''));

describe('docker-compose.yml', () => {
  it('validates against the Compose Specification JSON schema', () => {
    const { ajv, validate } = composeValidator();
    const valid = validate(compose);
    expect(validate.errors ?? [], ajv.errorsText(validate.errors)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the schema check fails on a misspelt key (so a pass means something)', () => {
    const { validate } = composeValidator();
    const broken = parse(text.replace('read_only: true', 'readonly: true'), { merge: true }) as unknown;
    expect(validate(broken)).toBe(false);
  });

  it('passes dclint (errors; the key-order style warnings are not checked)', () => {
    // no-build-and-image: Compose documents build + image as "build, then tag with that name",
    // which is how the CA and the gateway share one image.
    const result = spawnSync(process.execPath, [join(dclintDir, 'bin', 'dclint.cjs'), repoPath('docker-compose.yml'), '--quiet', '--formatter', 'json', '--disable-rule', 'no-build-and-image'], { encoding: 'utf8' });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
  });

  it('runs PostgreSQL, the CA, a gateway, an IdP and a demo target', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['postgres', 'ca', 'gateway', 'idp', 'target']));
  });

  it.each(services)('%s: read-only, no capabilities, no privilege escalation, not privileged, not root', (_name, service) => {
    expect(service.read_only).toBe(true);
    expect(service.cap_drop).toEqual(['ALL']);
    expect(service.cap_add ?? []).toEqual([]);
    expect(service.security_opt).toContain('no-new-privileges:true');
    expect(service.privileged ?? false).toBe(false);
    expect(service.pid).toBeUndefined();
    expect(service.network_mode ?? 'bridge').not.toBe('host');
    if (service.user !== undefined) expect(service.user).not.toMatch(/^(0|root)(:|$)/);
    // Without `user`, the image's own USER applies: only our images, whose final USER the Dockerfile rules check.
    else expect(service.build?.dockerfile).toMatch(/^deploy\/docker\//);
  });

  it.each(services)('%s: has a healthcheck, or is a one-shot step the others wait for', (name, service) => {
    if (service.healthcheck?.disable) {
      expect(service.restart).toBe('no');
      const waiting = services.filter(([, s]) => s.depends_on?.[name]);
      expect(waiting.length).toBeGreaterThan(0);
      for (const [, s] of waiting) expect(s.depends_on?.[name]?.condition).toBe('service_completed_successfully');
    } else if (service.healthcheck?.test) {
      expect(service.healthcheck.test[0]).toBe('CMD');
      const script = service.healthcheck.test.find((arg) => arg.startsWith('/app/'));
      if (script) expect(existsSync(inRepo(script))).toBe(true);
    } else {
      expect(readFileSync(repoPath(service.build?.dockerfile ?? 'missing'), 'utf8')).toMatch(/^HEALTHCHECK [^\n]*(\\\n[^\n]*)*CMD \[/m);
    }
  });

  it('publishes ports on loopback only', () => {
    const ports = services.flatMap(([, s]) => s.ports ?? []);
    expect(ports.length).toBeGreaterThan(0);
    for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:/);
  });

  it('every file it names exists: Dockerfiles, mounted files, scripts', () => {
    for (const [, service] of services) {
      if (service.build) expect(existsSync(repoPath(service.build.dockerfile)), service.build.dockerfile).toBe(true);
      for (const volume of service.volumes ?? []) {
        if (volume.startsWith('./')) expect(existsSync(repoPath(volume.split(':')[0]!)), volume).toBe(true);
      }
      for (const arg of service.entrypoint ?? []) if (arg.startsWith('/app/')) expect(existsSync(inRepo(arg)), arg).toBe(true);
    }
  });

  it('keeps secrets out of the environment: files only', () => {
    for (const [, service] of services) {
      const environment = (service as { environment?: Record<string, string> }).environment ?? {};
      for (const [key, value] of Object.entries(environment)) {
        if (/SECRET|TOKEN|PASSWORD/.test(key)) expect(key, `${key}=${value}`).toMatch(/_FILE$/);
        expect(String(value)).not.toMatch(/:\/\/[^/@]*:[^/@]*@/);
      }
    }
  });
});
