/**
 * An engineer's `ssh -J gateway web-1` as in-process ssh2 clients, as bench/gateway's
 * connectors make it, but from a source address of the engineer's own.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { TARGET_NAME, type BenchStack } from '../gateway/bench-stack.ts';
import { engineerAuth, jumpThrough, type Ssh2Connect } from '../gateway/ssh2-paths.ts';
import { sourceAddress } from '../login/cli-http.ts';

function tcpConnect(port: number, localAddress: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port, localAddress, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TCP connection to 127.0.0.1:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * `ssh -J 127.0.0.1:<gateway> web-1`: each call is one engineer's new pair of connections.
 * Each comes from its own loopback address (127.1.x.y, as in the login bench), as engineers
 * on their own machines would: the gateway limits new and not-yet-signed-in connections
 * per client address, and this load is many people, not one.
 */
export function gatewayJump(stack: BenchStack, timeoutMs = 30_000): Ssh2Connect {
  const auth = engineerAuth(stack);
  let next = 0;
  return async () => {
    const socket = await tcpConnect(stack.gatewayPort, sourceAddress(next++), timeoutMs);
    // The gateway resolves the enrolled name itself.
    return jumpThrough({ sock: socket }, { host: TARGET_NAME, port: 22 }, auth, stack.hostCaKey, timeoutMs).catch((error: unknown) => {
      socket.destroy();
      throw error;
    });
  };
}
