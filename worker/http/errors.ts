/**
 * One error type for the whole API. Every failure leaves as `{error:{code,message,requestId}}` with the
 * status its code maps to, whether it was thrown by a handler, by validation or by Hono itself.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ZodError } from 'zod';

export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  /** The session was erased: only GET /session and its deletion report still answer for it. */
  GONE: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class ApiError extends Error {
  readonly code: ErrorCode;
  /** Sent as `Retry-After`: when trying again makes sense (a rate limit, a dependency down). */
  readonly retryAfterSeconds: number | undefined;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, options);
    this.name = 'ApiError';
    this.code = code;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  get status(): (typeof ERROR_STATUS)[ErrorCode] {
    return ERROR_STATUS[this.code];
  }
}

/** How long a client should wait before retrying a call a dependency could not serve. */
const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

/** A 503 for a dependency that did not answer in time or failed: the client may retry, nothing was done. */
export function dependencyUnavailable(
  dependency: 'database' | 'storage' | 'queue',
  cause: unknown,
): ApiError {
  return new ApiError('SERVICE_UNAVAILABLE', `The ${dependency} is unavailable; retry later`, {
    cause,
    retryAfterSeconds: DEPENDENCY_RETRY_AFTER_SECONDS,
  });
}

/** Maps Hono's own exceptions (malformed JSON, body limit, unsupported media type) onto our codes. */
function fromHttpException(error: HTTPException): ApiError {
  const code =
    (Object.entries(ERROR_STATUS).find(([, status]) => status === error.status)?.[0] as
      | ErrorCode
      | undefined) ?? (error.status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
  return new ApiError(code, error.message || 'Request rejected');
}

/** A readable one-line summary of zod issues: `field: problem; other: problem`. */
export function describeZodError(error: ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

/** An error and what caused it, as far down as the chain goes: `message ← cause ← cause`. */
function describeCause(error: unknown): string {
  const parts: string[] = [];
  for (let at = error; at !== undefined && parts.length < 5; at = (at as { cause?: unknown }).cause) {
    parts.push(at instanceof Error ? `${at.name}: ${at.message}` : String(at));
    if (!(at instanceof Error)) break;
  }
  return parts.join(' ← ');
}

/** The error envelope response. Unexpected errors are logged with the request id and answered without detail. */
export function errorResponse(c: Context, error: unknown): Response {
  const requestId: string = c.get('requestId') ?? 'unknown';
  const apiError =
    error instanceof ApiError
      ? error
      : error instanceof HTTPException
        ? fromHttpException(error)
        : new ApiError('INTERNAL', 'Internal error', { cause: error });
  if (apiError.status >= 500) {
    console.error(
      JSON.stringify({
        level: 'error',
        msg: 'request failed',
        requestId,
        // The route pattern, not the path: playback paths carry a token that grants access.
        route: c.req.routePath,
        status: apiError.status,
        error: describeCause(apiError.cause ?? apiError),
      }),
    );
  }
  if (apiError.retryAfterSeconds !== undefined) c.header('Retry-After', String(apiError.retryAfterSeconds));
  return c.json({ error: { code: apiError.code, message: apiError.message, requestId } }, apiError.status);
}
