// Container healthcheck, run by the image's own node (the final image has no shell or curl).
//   node healthcheck.mjs                              → GET http://127.0.0.1:3080/readyz (the CA)
//   node healthcheck.mjs http://127.0.0.1:3080/readyz → that URL answers 2xx
//   node healthcheck.mjs ssh 127.0.0.1:2222           → an SSH server there sends its version line (the gateway)
// Exit 0 when healthy, 1 otherwise, within 3 seconds.
import { connect } from 'node:net';

const TIMEOUT_MS = 3000;
const [first = 'http://127.0.0.1:3080/readyz', second] = process.argv.slice(2);

function checkHttp(url) {
  return fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) }).then((response) => {
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  });
}

function checkSsh(addr) {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(addr ?? '');
  if (!match) return Promise.reject(new Error(`give ssh host:port, got "${addr}"`));
  return new Promise((resolve, reject) => {
    const socket = connect({ host: match[1], port: Number(match[2]) });
    const fail = (error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(TIMEOUT_MS, () => fail(new Error(`no SSH version line from ${addr}`)));
    socket.once('error', fail);
    socket.once('data', (data) => {
      socket.destroy();
      if (data.toString('latin1').startsWith('SSH-2.0-')) resolve();
      else reject(new Error(`${addr} is not an SSH server`));
    });
  });
}

try {
  await (first === 'ssh' ? checkSsh(second) : checkHttp(first));
} catch (error) {
  console.error(`unhealthy: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
