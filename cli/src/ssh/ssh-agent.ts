import type { CliIo } from '../io.ts';

/** The agent is used only when the person has one running (SSH_AUTH_SOCK). */
export const hasAgent = (io: CliIo): boolean => Boolean(io.env['SSH_AUTH_SOCK']);

/**
 * Loads the key into ssh-agent for as long as the certificate is valid; ssh-add picks up
 * key-cert.pub beside the key by itself. Returns a warning to show, or null when it worked.
 */
export async function addToAgent(io: CliIo, keyPath: string, seconds: number): Promise<string | null> {
  if (seconds <= 0) return null;
  const r = await io.run('ssh-add', ['-q', '-t', String(Math.floor(seconds)), keyPath], io.env);
  if (r.code === 0) return null;
  return `could not add the key to ssh-agent (${(r.stderr.trim() || `exit ${r.code ?? 'not started'}`).split('\n')[0]}); ssh uses the key file directly`;
}

/** Removes the key and its certificate from the agent; silent when they were not there. */
export async function removeFromAgent(io: CliIo, keyPath: string): Promise<void> {
  await io.run('ssh-add', ['-q', '-d', keyPath], io.env);
}
