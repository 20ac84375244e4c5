/**
 * The Hono plumbing every route group shares: typed context, zod validation failures turned into our
 * error envelope, and the request-scoped values middleware sets.
 */
import { OpenAPIHono, type z } from '@hono/zod-openapi';
import type { Client } from '@planetscale/database';
import { ErrorEnvelope } from '../../contracts/api.ts';
import type { Bindings, Config } from '../env.ts';
import { ApiError, describeZodError } from './errors.ts';

/** Who a request acts for, once authenticated. */
export interface TenantPrincipal {
  kind: 'api_key';
  tenantUuid: string;
  apiKeyUuid: string;
  scopes: readonly string[];
}

export interface CandidatePrincipal {
  kind: 'candidate';
  tenantUuid: string;
  sessionUuid: string;
  scopes: readonly string[];
}

export type Principal = TenantPrincipal | CandidatePrincipal;

export interface AppEnv {
  Bindings: Bindings;
  Variables: {
    requestId: string;
    config: Config;
    db: Client;
    principal: Principal;
  };
}

/** A route group: an OpenAPIHono whose validation failures become `400 BAD_REQUEST` envelopes. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw new ApiError('BAD_REQUEST', describeZodError(result.error));
    },
  });
}

/** Shared OpenAPI response entries, so every route documents the same envelope. */
export function errorResponses(
  ...statuses: Array<400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 429 | 503>
) {
  const descriptions: Record<number, string> = {
    400: 'Malformed request',
    401: 'Missing or invalid credentials',
    403: 'Credentials lack the right to do this',
    404: 'No such resource for this tenant',
    409: 'Conflicts with the current state',
    410: 'The session was erased (GET /session and GET /session/deletion-report still answer)',
    413: 'Body over 64 KiB',
    415: 'Body is not JSON',
    429: 'Too many requests; retry after Retry-After seconds',
    503: 'A dependency is unavailable; retry after Retry-After seconds',
  };
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: descriptions[status] ?? 'Error',
        content: { 'application/json': { schema: ErrorEnvelope } },
      },
    ]),
  );
}

/** A required JSON request body validated by `schema`. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { content: { 'application/json': { schema } }, required: true };
}

/** A JSON response entry for the OpenAPI document. */
export function jsonResponse<T extends z.ZodType>(description: string, schema: T) {
  return { description, content: { 'application/json': { schema } } };
}
