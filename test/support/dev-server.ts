import { spawn, type ChildProcess } from 'node:child_process';
import { ACCESS_SERVER_BIN, REPO_ROOT } from './access-server.ts';
import { getFreePort } from './free-port.ts';
import { LogBuffer } from './log-buffer.ts';
import { boundedCommand, stopChild } from './process.ts';

export interface DevServer {
  /** The CA's HTTP base URL (`http://127.0.0.1:<port>`). */
  url: string;
  sshPort: number;
  log: LogBuffer;
  stop(): Promise<void>;
}

/**
 * `access-server start --dev` in `dataDir` on free loopback ports: the CA, the gateway and
 * the development IdP, whose demo users share `password`. No ACCESS_* setting of the
 * caller's environment reaches it.
 */
export async function startDevServer(dataDir: string, password: string): Promise<DevServer> {
  const [httpPort, idpPort, sshPort] = [await getFreePort(), await getFreePort(), await getFreePort()];
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ACCESS_')) env[k] = v;
  const [file, args] = boundedCommand(process.execPath, [
    ACCESS_SERVER_BIN, '--data-dir', dataDir, 'start', '--dev',
    '--http-addr', `127.0.0.1:${httpPort}`, '--dev-idp-addr', `127.0.0.1:${idpPort}`, '--ssh-addr', `127.0.0.1:${sshPort}`,
  ]);
  const child: ChildProcess = spawn(file, args, { env: { ...env, ACCESS_DEV_PASSWORD: password }, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = new LogBuffer();
  log.attach(child.stdout!);
  log.attach(child.stderr!);
  child.on('exit', (code, signal) => log.close(`access-server exited (${code ?? signal})`));
  try {
    await log.waitFor(/listening on http:\/\/\S+/, 90_000);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { url: `http://127.0.0.1:${httpPort}`, sshPort, log, stop: () => stopChild(child) };
}
