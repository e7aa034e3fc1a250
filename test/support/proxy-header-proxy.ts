import { connect, createServer, type Socket } from 'node:net';

export interface HeaderProxy {
  port: number;
  close(): Promise<void>;
}

/**
 * A tiny TCP load balancer on 127.0.0.1 for tests: every connection it accepts is carried to
 * `targetPort`, from `localAddress` (another loopback address, such as 127.0.0.2, makes it a
 * different peer to the gateway), with `header` (a PROXY protocol header) sent first.
 */
export async function startHeaderProxy(options: { targetPort: number; header: Buffer | string; localAddress?: string }): Promise<HeaderProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ port: options.targetPort, host: '127.0.0.1', ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => (s === client ? upstream : client).destroy());
    }
    upstream.write(options.header);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
