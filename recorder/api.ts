/**
 * The recorder's calls to the service with the candidate token: upload policies, chunk notices and
 * clock exchanges. Shapes come from the shared contracts.
 */
import type { z } from 'zod';
import type { ClockExchangeBody, ClockExchangeResponse, PresignedPolicyResponse } from '../contracts/api.ts';
import { CLOCK_PROTOCOL } from '../contracts/clock-offset.ts';
import type { Asset, UploadContentType } from '../contracts/storage.ts';
import type { IntegrityEvent } from './reporter.ts';

export type UploadPolicy = z.infer<typeof PresignedPolicyResponse>;
export type ClockExchange = z.infer<typeof ClockExchangeBody>;
export type ClockReply = z.infer<typeof ClockExchangeResponse>;

/** A reply outside 2xx, with its status so callers can tell a refusal from an outage. */
export class HttpError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
  }
}

/** The session a candidate token names: its claims are `<kind>.<base64url JSON>.<signature>`. */
export function sessionOfToken(token: string): string {
  const claims = token.split('.')[1] ?? '';
  const json = atob(claims.replace(/-/g, '+').replace(/_/g, '/'));
  const session = (JSON.parse(json) as { s?: unknown }).s;
  if (typeof session !== 'string') throw new Error('the candidate token names no session');
  return session;
}

/** Throws an HttpError carrying the service's error message for a reply outside 2xx. */
export async function ensureOk(response: Response, what: string): Promise<Response> {
  if (response.ok) return response;
  const text = await response.text().catch(() => '');
  let message = text.slice(0, 300);
  try {
    message = (JSON.parse(text) as { error: { message: string } }).error.message;
  } catch {
    // not the service's envelope (S3, a proxy): keep the text
  }
  throw new HttpError(response.status, `${what}: ${response.status} ${message}`);
}

/** The service's browser-facing endpoints, for one candidate token. */
export class ServiceApi {
  private readonly apiBase: string;
  private readonly token: string;

  constructor(apiBase: string, token: string) {
    this.apiBase = apiBase.replace(/\/$/, '');
    this.token = token;
  }

  private async request(method: string, path: string, body?: unknown): Promise<Response> {
    const response = await fetch(`${this.apiBase}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return ensureOk(response, `${method} ${path}`);
  }

  /** A POST policy for `asset` fixed to `contentType`. */
  async policy(asset: Asset, contentType: UploadContentType): Promise<UploadPolicy> {
    const query = new URLSearchParams({ asset, content_type: contentType });
    const response = await this.request('GET', `/session/presigned-policy?${query}`);
    return (await response.json()) as UploadPolicy;
  }

  /** Tells the service the chunk at `key` landed, so it is processed now. */
  async notice(key: string): Promise<void> {
    await this.request('POST', '/session/chunks', { key });
  }

  /** Stores integrity events of the token's session (at most 100). */
  async events(events: readonly IntegrityEvent[]): Promise<void> {
    const response = await this.request('POST', '/session/events', { events });
    await response.body?.cancel();
  }

  /** One clock-sync exchange over HTTP; null for `previous` alone, which is answered 204. */
  async clock(exchange: ClockExchange): Promise<ClockReply | null> {
    const response = await this.request('POST', '/session/clock', exchange);
    return response.status === 204 ? null : ((await response.json()) as ClockReply);
  }

  /** The session clock's WebSocket; the token goes as a subprotocol, since a WebSocket takes no headers. */
  clockSocket(): WebSocket {
    return new WebSocket(`${this.apiBase.replace(/^http/, 'ws')}/session/clock/socket`, [
      CLOCK_PROTOCOL,
      this.token,
    ]);
  }
}
