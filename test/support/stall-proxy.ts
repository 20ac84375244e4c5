/**
 * An HTTP front for a local dependency (fauxqs's S3 and SQS) that a test can stall: while stalled it
 * accepts connections and requests and never answers them, the outage that no connection error reveals
 * (a hung load balancer, a half-dead endpoint). Requests held by a stall are dropped, never forwarded, when
 * it ends: a client gave up on them long before, and forwarding one late (a queue receive) would hand a
 * message to nobody.
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StallProxy {
  url: string;
  /** Settles with the first request `matches` accepts; from that request on, every request is held. */
  stallAt(matches: (request: IncomingMessage) => boolean): Promise<void>;
  /** Ends the stall: held requests are dropped, new ones forwarded again. */
  restore(): void;
  /** How many requests the stall has held so far. */
  held(): number;
  close(): Promise<void>;
}

/** Starts a front on a free loopback port forwarding to `target` (`http://127.0.0.1:<port>`). */
export async function startStallProxy(target: string): Promise<StallProxy> {
  const upstream = new URL(target);
  let trigger: { matches: (request: IncomingMessage) => boolean; hit: () => void } | undefined;
  let stalled = false;
  let heldCount = 0;
  const holding = new Set<ServerResponse>();

  const forward = (incoming: IncomingMessage, response: ServerResponse) => {
    const outgoing = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    outgoing.on('error', () => response.destroy());
    incoming.pipe(outgoing);
  };

  const server = createServer((incoming, response) => {
    if (trigger?.matches(incoming)) {
      stalled = true;
      trigger.hit();
      trigger = undefined;
    }
    if (!stalled) return forward(incoming, response);
    heldCount++;
    holding.add(response);
    response.on('close', () => holding.delete(response));
    // Read the body so the client's upload is not blocked by back-pressure: the stall is in the answer.
    incoming.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stallAt(matches) {
      return new Promise<void>((resolve) => {
        trigger = { matches, hit: resolve };
      });
    },
    restore() {
      stalled = false;
      for (const response of holding) response.destroy();
    },
    held: () => heldCount,
    close() {
      for (const response of holding) response.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
