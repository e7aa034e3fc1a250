/**
 * The gateway stack as a process of its own, for tests that kill it: starts it on the data
 * directory given as the first argument (and the PostgreSQL URL given as the second, if
 * any), adds target web-1 and engineer alice, prints one JSON line with what a test needs,
 * and runs until it is killed.
 */
import { startGatewayStack } from './gateway-stack.ts';

const dataDir = process.argv[2];
if (!dataDir) {
  console.error('usage: gateway-stack-process.ts <data dir> [postgres URL]');
  process.exit(2);
}
const databaseUrl = process.argv[3];
const stack = await startGatewayStack({ dataDir, ...(databaseUrl ? { databaseUrl } : {}) });
const target = await stack.addTarget('web-1');
const alice = await stack.addEngineer('alice@example.com', ['gwalice']);
console.log(JSON.stringify({ ready: true, pid: process.pid, gatewayPort: stack.gatewayPort, sshConfig: alice.sshConfig, home: alice.home, targetPort: target.sshd.port, targetDir: target.sshd.dir }));
const stop = () => void stack.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setInterval(() => undefined, 60_000);
