/**
 * The demo tenant's server, playing the part a tenant's own backend plays in production: it holds the
 * tenant API key, creates the session and the candidate token server-side, serves the candidate page
 * (which loads the recorder SDK from the Worker) and starts processing when the attempt ends. Local only:
 * it binds 127.0.0.1, and a browser treats http://127.0.0.1 as a secure context, as capture needs.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { candidatePage } from './page.ts';

export interface DemoOptions {
  /** The service's API base, e.g. http://127.0.0.1:8787/ies/api/v2. */
  apiBase: string;
  /** The demo tenant's API key (scopes session:create, session:read, session:upload, session:process). */
  apiKey: string;
  /** Default: a free port. */
  port?: number;
}

export interface Demo {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

const CandidateQuery = z.strictObject({
  unique_identifier: z.string().min(1).max(255),
  autostart: z.enum(['0', '1']).default('0'),
  chunk_ms: z.coerce.number().int().min(1000).max(60_000).default(5000),
  screenshot_every_ms: z.coerce.number().int().min(1000).max(600_000).default(10_000),
});
const EndBody = z.strictObject({ session_id: z.uuid() });
const ReviewQuery = z.strictObject({ session_id: z.uuid() });

/** While the session is processed, a page that looks again every 2 s. */
const waitingPage = (status: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>Processing the recording</title></head>
<body style="font: 16px system-ui, sans-serif; margin: 3rem auto; max-width: 40rem">
<h1>Processing the recording</h1><p>The session is <strong>${status}</strong>; this page opens the player when it is ready.</p>
</body></html>`;

class DemoError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Starts the demo tenant's server. */
export async function startDemo(options: DemoOptions): Promise<Demo> {
  const apiBase = options.apiBase.replace(/\/$/, '');
  const sdkUrl = `${new URL(apiBase).origin}/ies/sdk/recorder.js`;

  /** A call to the service with the tenant key; a reply outside 2xx becomes a 502 naming it. */
  const service = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${apiBase}${path}`, {
      method,
      headers: { 'X-API-TOKEN': options.apiKey, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new DemoError(502, `${method} ${path}: ${response.status} ${text}`);
    return {
      status: response.status,
      headers: response.headers,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    };
  };

  const candidate = async (url: URL, res: ServerResponse) => {
    const parsed = CandidateQuery.safeParse(Object.fromEntries(url.searchParams));
    if (!parsed.success) throw new DemoError(400, z.prettifyError(parsed.error));
    const query = parsed.data;
    const created = await service('POST', '/session', {
      unique_identifier: query.unique_identifier,
      session_metadata: { source: 'demo tenant' },
    });
    const sessionId = String(created.body.session_id);
    const token = await service('POST', '/session/candidate-token', { session_id: sessionId });
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(
      candidatePage({
        sdkUrl,
        apiBase,
        token: String(token.body.token),
        sessionId,
        uniqueIdentifier: query.unique_identifier,
        autostart: query.autostart === '1',
        chunkMs: query.chunk_ms,
        screenshotEveryMs: query.screenshot_every_ms,
      }),
    );
  };

  const end = async (req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    for await (const piece of req) {
      text += piece;
      if (text.length > 4096) throw new DemoError(413, 'body over 4 KiB');
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new DemoError(400, 'body is not JSON');
    }
    const parsed = EndBody.safeParse(json);
    if (!parsed.success) throw new DemoError(400, z.prettifyError(parsed.error));
    const processed = await service('POST', '/session/process', { session_id: parsed.data.session_id });
    // The service answers 200 either way and says in X-IES-Finalize whether it enqueued a finalize.
    res.writeHead(processed.headers.get('X-IES-Finalize') === 'enqueued' ? 202 : 200).end();
  };

  /** The recruiter's side: the signed player URL once the session is ready, a waiting page until then. */
  const review = async (url: URL, res: ServerResponse) => {
    const parsed = ReviewQuery.safeParse(Object.fromEntries(url.searchParams));
    if (!parsed.success) throw new DemoError(400, z.prettifyError(parsed.error));
    const query = new URLSearchParams({ session_id: parsed.data.session_id });
    const session = await service('GET', `/session?${query}`, undefined);
    const playerUrl = session.body.player_url;
    if (session.body.status === 'ready' && typeof playerUrl === 'string') {
      res.writeHead(302, { Location: playerUrl, 'Cache-Control': 'no-store' }).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(waitingPage(String(session.body.status)));
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = `${req.method} ${url.pathname}`;
    const handled =
      route === 'GET /candidate'
        ? candidate(url, res)
        : route === 'POST /candidate/end'
          ? end(req, res)
          : route === 'GET /review'
            ? review(url, res)
            : Promise.reject(new DemoError(404, 'No such page: try /candidate?unique_identifier=attempt-1'));
    handled.catch((error: unknown) => {
      const status = error instanceof DemoError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (res.headersSent) return void res.destroy();
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { code: `HTTP_${status}`, message, requestId: randomUUID() } }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
