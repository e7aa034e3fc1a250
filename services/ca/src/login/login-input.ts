import type { LoginMode } from '@access/db';
import { parsePublicKey } from '@access/sshcert';
import { asAccessError } from '../authority/policy.ts';
import { loginErrors } from './login-errors.ts';

/** What `POST /v1/login/start` carries, checked. */
export interface StartInput {
  publicKey: string;
  mode: LoginMode;
  /** The CLI's loopback listener, browser mode only. */
  callbackPort: number | null;
  /** base64url(SHA-256(the CLI's one-time secret)). */
  secretHash: string;
}

const FIELDS = new Set(['publicKey', 'mode', 'callbackPort', 'secretHash']);
const SECRET_HASH = /^[A-Za-z0-9_-]{43}$/;

const fail = (message: string): never => {
  throw loginErrors.badRequest(message);
};

export function parseStartInput(body: unknown): StartInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) fail('the body must be a JSON object');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !FIELDS.has(k));
  if (unknown.length) fail(`unknown field(s): ${unknown.slice(0, 5).join(', ')}; allowed: ${[...FIELDS].join(', ')}`);

  const mode = b['mode'];
  if (mode !== 'browser' && mode !== 'headless') fail('mode must be "browser" or "headless"');
  const publicKey = b['publicKey'];
  if (typeof publicKey !== 'string' || publicKey.length === 0 || publicKey.length > 16_384) fail('publicKey must be an OpenSSH public key line');
  try {
    parsePublicKey(publicKey as string);
  } catch (error) {
    throw asAccessError(error);
  }
  const secretHash = b['secretHash'];
  if (typeof secretHash !== 'string' || !SECRET_HASH.test(secretHash)) fail('secretHash must be base64url(SHA-256(secret)): 43 characters');

  let callbackPort: number | null = null;
  if (mode === 'browser') {
    const port = b['callbackPort'];
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1024 || port > 65_535) fail('callbackPort must be an integer from 1024 to 65535 in browser mode');
    callbackPort = port as number;
  } else if (b['callbackPort'] !== undefined) {
    fail('callbackPort is for browser mode only');
  }
  return { publicKey: publicKey as string, mode: mode as LoginMode, callbackPort, secretHash: secretHash as string };
}
