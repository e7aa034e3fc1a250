import { readFileSync } from 'node:fs';
import { run, runOk } from './process.ts';

export interface KeygenSignOptions {
  /** The CA's private key file (OpenSSH format, 0600). */
  caKeyPath: string;
  /** The public key to certify; the certificate is written beside it as `<name>-cert.pub`. */
  publicKeyPath: string;
  keyId: string;
  /** Empty: a certificate valid for any principal by ssh-keygen's reading, refused by sshd. */
  principals: string[];
  host?: boolean;
  serial?: number;
  /** ssh-keygen `-V` syntax, e.g. `-5m:+10m` or `20200101:20200102`. */
  validity?: string;
  /** ssh-keygen `-O` values, e.g. `source-address=10.9.9.9/32`, `clear`, `permit-pty`. */
  options?: string[];
}

/**
 * Signs with `ssh-keygen -s`: OpenSSH's own implementation, used as the reference for
 * certificates the CA must never issue (expired, no principals, wrong type, foreign CA).
 * Returns the certificate line.
 */
export async function keygenSign(o: KeygenSignOptions): Promise<string> {
  const args = ['-q', '-s', o.caKeyPath, '-I', o.keyId];
  if (o.host) args.push('-h');
  if (o.principals.length > 0) args.push('-n', o.principals.join(','));
  if (o.serial !== undefined) args.push('-z', String(o.serial));
  if (o.validity !== undefined) args.push('-V', o.validity);
  for (const option of o.options ?? []) args.push('-O', option);
  args.push(o.publicKeyPath);
  await runOk('ssh-keygen', args);
  return readFileSync(o.publicKeyPath.replace(/\.pub$/, '-cert.pub'), 'utf8').trim();
}

/** `ssh-keygen -L -f <file>` in UTC, so the validity times it prints are comparable. */
export async function keygenList(certificatePath: string): Promise<string> {
  return (await runOk('ssh-keygen', ['-L', '-f', certificatePath], { env: { ...process.env, TZ: 'UTC' } })).stdout;
}

/** The public half of a private key file (`ssh-keygen -y`), without its comment. */
export async function publicKeyOf(privateKeyPath: string): Promise<string> {
  const line = (await runOk('ssh-keygen', ['-y', '-f', privateKeyPath])).stdout.trim();
  return line.split(/\s+/).slice(0, 2).join(' ');
}

/** The SHA256 fingerprint (`SHA256:…`) of a public key or certificate file. */
export async function fingerprintOf(path: string): Promise<string> {
  const out = (await runOk('ssh-keygen', ['-l', '-E', 'sha256', '-f', path])).stdout;
  const match = /(SHA256:[A-Za-z0-9+/]+)/.exec(out);
  if (!match?.[1]) throw new Error(`no fingerprint in: ${out}`);
  return match[1];
}

/** Whether `ssh-keygen -Q` (query a KRL) reports the certificate as revoked. */
export async function krlRevokes(krlPath: string, certificatePath: string): Promise<boolean> {
  const result = await run('ssh-keygen', ['-Q', '-f', krlPath, certificatePath]);
  if (result.code !== 0 && result.code !== 1) throw new Error(`ssh-keygen -Q failed: ${result.stderr}`);
  return result.code === 1;
}

/** A KRL made by `ssh-keygen -k` from a spec file (`serial: N`, `id: KEYID`, …), for the baseline tests. */
export async function keygenKrl(krlPath: string, caPublicKeyPath: string, specPath: string): Promise<Buffer> {
  await runOk('ssh-keygen', ['-k', '-f', krlPath, '-s', caPublicKeyPath, specPath]);
  return readFileSync(krlPath);
}

/** The fields `ssh-keygen -L` prints for one certificate. Times are UTC (see `keygenList`). */
export interface KeygenListing {
  /** `user` or `host`. */
  certType: string;
  /** e.g. `ssh-ed25519-cert-v01@openssh.com`. */
  algorithm: string;
  publicKeyFingerprint: string;
  signingCaFingerprint: string;
  keyId: string;
  serial: string;
  /** `undefined` for "forever". */
  validFrom: Date | undefined;
  validTo: Date | undefined;
  principals: string[];
  /** `name value` lines, as printed. */
  criticalOptions: string[];
  extensions: string[];
}

/** Parses `ssh-keygen -L` output (OpenSSH 9.2 layout); throws on anything unexpected. */
export function parseKeygenListing(text: string): KeygenListing {
  const lines = text.split('\n');
  const field = (name: string): string => {
    const line = lines.find((l) => l.startsWith(`        ${name}:`));
    if (line === undefined) throw new Error(`ssh-keygen -L printed no "${name}" field:\n${text}`);
    return line.slice(`        ${name}:`.length).trim();
  };
  const list = (name: string): string[] => {
    const start = lines.findIndex((l) => l.startsWith(`        ${name}:`));
    if (start < 0) throw new Error(`ssh-keygen -L printed no "${name}" field:\n${text}`);
    if (lines[start]!.trim().endsWith('(none)')) return [];
    const items: string[] = [];
    for (const line of lines.slice(start + 1)) {
      if (!line.startsWith('                ')) break;
      items.push(line.trim());
    }
    return items;
  };
  const type = /^(\S+) (user|host) certificate$/.exec(field('Type'));
  const publicKey = /^\S+ (SHA256:\S+)$/.exec(field('Public key'));
  const signingCa = /^\S+ (SHA256:\S+) \(using \S+\)$/.exec(field('Signing CA'));
  const keyId = /^"(.*)"$/.exec(field('Key ID'));
  const valid = field('Valid');
  const window = /^from (\S+) to (\S+)$/.exec(valid);
  if (!type || !publicKey || !signingCa || !keyId || (!window && valid !== 'forever')) {
    throw new Error(`unexpected ssh-keygen -L layout:\n${text}`);
  }
  const utc = (s: string): Date | undefined => (s === 'forever' ? undefined : new Date(`${s}Z`));
  return {
    algorithm: type[1]!,
    certType: type[2]!,
    publicKeyFingerprint: publicKey[1]!,
    signingCaFingerprint: signingCa[1]!,
    keyId: keyId[1]!,
    serial: field('Serial'),
    validFrom: window ? utc(window[1]!) : undefined,
    validTo: window ? utc(window[2]!) : undefined,
    principals: list('Principals'),
    criticalOptions: list('Critical Options'),
    extensions: list('Extensions'),
  };
}
