/**
 * The orchestrator's endpoints: `GET /healthz` is 200 while the consumer polls and 503 otherwise
 * (starting, draining, stopped), so a draining container is taken out of rotation and not restarted
 * for being slow to exit; `GET /metrics` is the Prometheus scrape (`metrics.ts`).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metricsText } from '../metrics.ts';
import type { JobConsumer } from './pool.ts';

export interface HealthServer {
  /** The port it listens on (useful when started on port 0). */
  port: number;
  close(): Promise<void>;
}

/** Starts the health server on `host`:`port` (0 picks a free port). */
export function startHealthServer(
  port: number,
  host: string,
  status: JobConsumer['status'],
): Promise<HealthServer> {
  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/metrics') {
      metricsText().then(
        ({ contentType, body }) => response.writeHead(200, { 'Content-Type': contentType }).end(body),
        () => response.writeHead(500).end(),
      );
      return;
    }
    if (request.method !== 'GET' || request.url !== '/healthz') {
      response.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const { state, inFlight } = status();
    response
      .writeHead(state === 'polling' ? 200 : 503, {
        'Content-Type': 'application/json',
        'Cache-Control': 'no-store',
      })
      .end(JSON.stringify({ status: state, in_flight: inFlight }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
