import { createServer } from 'node:net';

const LOOPBACK = '127.0.0.1';

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A TCP port on 127.0.0.1 that was free when asked. Another process may take it before the caller
 * binds, so callers that can listen on port 0 themselves should do that instead.
 */
export function freePort(): Promise<number> {
  return listenOnce(0);
}

/** Rejects with an error naming `port` and `service` when something already listens on 127.0.0.1:port. */
export async function assertPortFree(port: number, service: string): Promise<void> {
  try {
    await listenOnce(port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'EADDRINUSE' ? 'is already in use' : `cannot be bound (${code ?? String(err)})`;
    throw new Error(
      `${service}: port ${port} on ${LOOPBACK} ${reason}; choose another port or leave it unset`,
      {
        cause: err,
      },
    );
  }
}
