/**
 * fauxqs has no CORS (an OPTIONS preflight gets 404), so a browser page cannot POST a chunk to it. This
 * front answers preflights and adds CORS headers the way S3 does for the bucket configuration in
 * `infra/s3-cors.json`. It forwards one thing only, the browser's form upload (`POST /<bucket>` with a
 * multipart body), and refuses everything else: fauxqs checks no signature, so a front that forwarded any
 * request with CORS headers would let any web page a developer opens list, read and write the local
 * bucket and queues. Any origin may upload, since the candidate page is served from whatever port the
 * stack picked; what an upload may do is still bounded by fauxqs being reachable only from this machine.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

interface CorsRule {
  AllowedMethods: string[];
  AllowedHeaders: string[];
  ExposeHeaders: string[];
  MaxAgeSeconds: number;
}

const productionRules = JSON.parse(
  readFileSync(new URL('../../infra/s3-cors.json', import.meta.url), 'utf8'),
) as {
  CORSRules: CorsRule[];
};

export interface S3CorsFront {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts the CORS front on 127.0.0.1:`port` (0 = any free port), forwarding uploads to `bucket` at `target`. */
export async function startS3CorsFront(target: URL, bucket: string, port = 0): Promise<S3CorsFront> {
  const rule = productionRules.CORSRules[0];
  if (!rule) throw new Error('infra/s3-cors.json has no CORS rule');
  const corsHeaders = (origin: string | undefined): Record<string, string> =>
    origin
      ? {
          'access-control-allow-origin': origin,
          'access-control-expose-headers': rule.ExposeHeaders.join(', '),
          vary: 'Origin',
        }
      : {};

  const server = createServer((incoming, outgoing) => {
    const origin = incoming.headers.origin;
    const path = (incoming.url ?? '').split('?')[0];
    const toBucket = path === `/${bucket}` || path === `/${bucket}/`;
    const preflight =
      incoming.method === 'OPTIONS' &&
      incoming.headers['access-control-request-method'] === 'POST' &&
      toBucket;
    const formUpload =
      incoming.method === 'POST' &&
      toBucket &&
      (incoming.headers['content-type'] ?? '').startsWith('multipart/form-data');
    if (preflight) {
      outgoing.writeHead(200, {
        ...corsHeaders(origin),
        'access-control-allow-methods': rule.AllowedMethods.join(', '),
        'access-control-allow-headers': incoming.headers['access-control-request-headers'] ?? '*',
        'access-control-max-age': String(rule.MaxAgeSeconds),
      });
      outgoing.end();
      return;
    }
    if (!formUpload) {
      outgoing.writeHead(403, { 'content-type': 'text/plain' });
      outgoing.end('Only browser form uploads (POST /<bucket>, multipart/form-data) pass this front');
      incoming.resume();
      return;
    }
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        // Without the query: `?delete` and the like would make the POST another S3 operation.
        path,
        headers: incoming.headers,
      },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, { ...response.headers, ...corsHeaders(origin) });
        response.pipe(outgoing);
      },
    );
    upstream.on('error', (error) => {
      outgoing.writeHead(502, { 'content-type': 'text/plain' });
      outgoing.end(`S3 emulator unreachable: ${error.message}`);
    });
    incoming.pipe(upstream);
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
