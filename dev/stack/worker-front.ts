/**
 * The local API's public port, in front of the Worker's own socket under `wrangler dev`, in place of
 * wrangler's reload proxy. That proxy Worker (wrangler 4.86, templates/startDevWorker/ProxyWorker.ts) takes
 * any network error from the Worker for a reload in progress: it holds a GET until the next reload, which
 * may never come, and answers a POST with 503 "Your worker restarted mid-request". Such errors come without
 * any reload, from the keep-alive connections between its workerd and the Worker's, when one side closes a
 * connection after about 5 s of quiet just as the other reuses it. Measured here: rounds of 4 concurrent
 * `GET /session` after 4.85–5.1 s of quiet, through wrangler's port, 2 of 20 rounds had a request held past
 * 15 s; at the Worker's own socket, 0 of 36.
 *
 * This front opens a new loopback connection per request, so no connection is ever reused stale, and it
 * finds the Worker's socket again after a reload (each reload serves the Worker on a new port), waiting a
 * bounded time for it rather than forever.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { findWorkerSocket } from './worker-socket.ts';

/** How long a request may wait for the Worker to be found again (a rebuild after an edit takes seconds). */
const FIND_WORKER_MS = 30_000;

export interface WorkerFront {
  url: string;
  stop(): Promise<void>;
}

/**
 * Serves 127.0.0.1:`port`, forwarding every request to the Worker behind the `wrangler dev` on
 * `wranglerPort` (found by `probePath` answering 2xx).
 */
export async function startWorkerFront(o: {
  port: number;
  wranglerPort: number;
  probePath: string;
}): Promise<WorkerFront> {
  let target: Promise<string> | undefined;
  /** The Worker's socket, looked up again once `stale` (the one that refused) is no longer current. */
  const workerUrl = (stale?: string): Promise<string> => {
    if (!target || stale !== undefined) {
      const previous = target;
      target = (async () => {
        if (stale !== undefined && previous && (await previous.catch(() => undefined)) !== stale) {
          return previous;
        }
        const deadline = Date.now() + FIND_WORKER_MS;
        while (true) {
          try {
            return (await findWorkerSocket(o.wranglerPort, o.probePath)).url;
          } catch (error) {
            if (Date.now() > deadline) throw error;
            await sleep(250);
          }
        }
      })();
      target.catch(() => {
        target = undefined;
      });
    }
    return target;
  };

  const forward = async (incoming: IncomingMessage, outgoing: ServerResponse, body: Buffer) => {
    let url = await workerUrl();
    for (let attempt = 0; ; attempt++) {
      try {
        return await send(url, incoming, outgoing, body);
      } catch (error) {
        // Refused: the Worker moved to a new socket (a reload). The request never reached it, so it is
        // sent again, whatever its method.
        if ((error as NodeJS.ErrnoException).code !== 'ECONNREFUSED' || attempt > 0) throw error;
        url = await workerUrl(url);
      }
    }
  };

  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      forward(incoming, outgoing, Buffer.concat(chunks)).catch((error: Error) => {
        if (outgoing.headersSent) return outgoing.destroy();
        outgoing.writeHead(502, { 'content-type': 'text/plain' });
        outgoing.end(`The Worker is unreachable: ${error.message}`);
      });
    });
  });
  // A WebSocket (the clock's) is a request that upgrades its connection: the connection itself is relayed.
  server.on('upgrade', (incoming: IncomingMessage, client: Socket, head: Buffer) => {
    workerUrl()
      .then((url) => {
        const to = new URL(url);
        const upstream = connect(Number(to.port), to.hostname, () => {
          const lines = [`${incoming.method} ${incoming.url} HTTP/1.1`];
          for (let i = 0; i < incoming.rawHeaders.length; i += 2) {
            lines.push(`${incoming.rawHeaders[i]}: ${incoming.rawHeaders[i + 1]}`);
          }
          upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
          upstream.write(head);
          upstream.pipe(client).pipe(upstream);
        });
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
      })
      .catch(() => client.destroy());
  });
  server.listen(o.port, '127.0.0.1');
  await once(server, 'listening');
  await workerUrl();
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Headers of one connection, not of the message (RFC 9110 §7.6.1): each side of the front has its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

function endToEnd(headers: IncomingMessage['headers']) {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

/** One request on a new connection (`agent: false`); settles once the answer has started streaming back. */
function send(url: string, incoming: IncomingMessage, outgoing: ServerResponse, body: Buffer) {
  const to = new URL(url);
  return new Promise<void>((resolve, reject) => {
    const upstream = request(
      {
        host: to.hostname,
        port: to.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...endToEnd(incoming.headers), connection: 'close' },
        agent: false,
      },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, endToEnd(response.headers));
        response.pipe(outgoing);
        resolve();
      },
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}
