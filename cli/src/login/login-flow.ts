import type { ApiClient } from '../api-client.ts';
import type { LoginResult } from '../api-types.ts';
import type { CliIo } from '../io.ts';
import type { LoginKey } from './keypair.ts';

/** What both login modes need: the key to certify, the secret that binds the result to us. */
export interface LoginFlowInput {
  io: CliIo;
  api: ApiClient;
  key: LoginKey;
  secret: string;
  secretHash: string;
  timeoutMs: number;
}

export type LoginFlow = (input: LoginFlowInput) => Promise<LoginResult>;

/** The CA may answer with a path; the person needs a whole URL. */
export const absoluteUrl = (server: string, url: string): string => new URL(url, `${server}/`).toString();
