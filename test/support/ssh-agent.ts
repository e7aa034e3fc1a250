import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { boundedCommand, runOk, sleep, stopChild } from './process.ts';

export interface SshAgentHandle {
  socket: string;
  /** `ssh-add <key>`: adds the key and, if it exists, `<key>-cert.pub` beside it. */
  add(privateKeyPath: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A private `ssh-agent -D` on a socket in `dir`. The OpenSSH client refuses to offer a
 * certificate that is not a user certificate from a file, but offers whatever an agent
 * holds: the only way to make it present a host certificate to sshd as a user certificate.
 */
export async function startSshAgent(dir: string): Promise<SshAgentHandle> {
  const socket = join(dir, 'agent.sock');
  const [file, args] = boundedCommand('ssh-agent', ['-D', '-a', socket]);
  const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'ignore'] });
  const deadline = Date.now() + 5000;
  while (!existsSync(socket)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopChild(child);
      throw new Error('ssh-agent did not create its socket');
    }
    await sleep(20);
  }
  return {
    socket,
    add: async (privateKeyPath) => {
      await runOk('ssh-add', [privateKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
    },
    stop: () => stopChild(child),
  };
}
