/**
 * fauxqs has no CORS (an OPTIONS preflight gets 404), so a browser page cannot POST a chunk to it. This
 * front answers preflights and adds CORS headers the way S3 does for the bucket configuration in
 * `infra/s3-cors.json`, and forwards everything else to fauxqs unchanged. Locally any origin is allowed,
 * since the candidate page is served from whatever port the stack picked.
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

/** Starts the CORS front on 127.0.0.1:`port` (0 = any free port), forwarding to `target`. */
export async function startS3CorsFront(target: URL, port = 0): Promise<S3CorsFront> {
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
    if (incoming.method === 'OPTIONS') {
      outgoing.writeHead(200, {
        ...corsHeaders(origin),
        'access-control-allow-methods': rule.AllowedMethods.join(', '),
        'access-control-allow-headers': incoming.headers['access-control-request-headers'] ?? '*',
        'access-control-max-age': String(rule.MaxAgeSeconds),
      });
      outgoing.end();
      return;
    }
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
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
