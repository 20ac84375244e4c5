/**
 * Authentication for the three kinds of caller: a tenant's server (`X-API-TOKEN`), a candidate's browser
 * (`Authorization: Bearer <candidate token>`), and operators/the transcoder (bearer secrets).
 */
import type { MiddlewareHandler } from 'hono';
import type { ApiKeyScope } from '../../contracts/api.ts';
import { isoFromDatetime } from '../db/client.ts';
import { findKeyByHash, touchApiKey } from '../db/tenants.ts';
import { tokenVerificationKeys } from '../env.ts';
import { ApiError } from '../http/errors.ts';
import type { AppEnv } from '../http/router.ts';
import { secretsEqual, sha256Hex } from './secrets.ts';
import { type CandidateScope, verifyToken } from './tokens.ts';

/** `last_used_at` is written at most this often per key, so a busy key costs no write per request. */
const LAST_USED_RESOLUTION_MS = 5 * 60 * 1000;

function bearer(header: string | undefined): string | null {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1] ?? null;
}

async function authenticateApiKey(
  c: Parameters<MiddlewareHandler<AppEnv>>[0],
  key: string,
  scope: ApiKeyScope,
) {
  const row = await findKeyByHash(c.get('db'), await sha256Hex(key));
  const now = Date.now();
  if (!row) throw new ApiError('UNAUTHORIZED', 'Unknown API key');
  if (row.revoked_at !== null) throw new ApiError('UNAUTHORIZED', 'API key revoked');
  const expiresAt = isoFromDatetime(row.expires_at);
  if (expiresAt !== null && Date.parse(expiresAt) <= now)
    throw new ApiError('UNAUTHORIZED', 'API key expired');
  if (row.tenant_status !== 'active') throw new ApiError('FORBIDDEN', `Tenant is ${row.tenant_status}`);
  if (!row.scopes.includes(scope)) throw new ApiError('FORBIDDEN', `API key lacks the ${scope} scope`);
  const lastUsed = isoFromDatetime(row.last_used_at);
  if (lastUsed === null || now - Date.parse(lastUsed) >= LAST_USED_RESOLUTION_MS) {
    c.executionCtx.waitUntil(touchApiKey(c.get('db'), row.uuid).catch(() => undefined));
  }
  c.set('principal', {
    kind: 'api_key',
    tenantUuid: row.tenant_uuid,
    apiKeyUuid: row.uuid,
    scopes: row.scopes,
  });
}

async function authenticateCandidate(
  c: Parameters<MiddlewareHandler<AppEnv>>[0],
  token: string,
  scope: CandidateScope,
) {
  const check = await verifyToken('ct1', token, tokenVerificationKeys(c.get('config')), new Date());
  if (!check.ok) {
    const reasons = { malformed: 'Malformed', signature: 'Invalid', expired: 'Expired' } as const;
    throw new ApiError('UNAUTHORIZED', `${reasons[check.reason]} candidate token`);
  }
  if (!check.claims.sc.includes(scope))
    throw new ApiError('FORBIDDEN', `Candidate token lacks the ${scope} scope`);
  c.set('principal', {
    kind: 'candidate',
    tenantUuid: check.claims.t,
    sessionUuid: check.claims.s,
    scopes: check.claims.sc,
  });
}

/** A tenant API key with `scope`, from `X-API-TOKEN`. */
export function requireApiKey(scope: ApiKeyScope): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = c.req.header('X-API-TOKEN');
    if (!key) throw new ApiError('UNAUTHORIZED', 'Missing X-API-TOKEN header');
    await authenticateApiKey(c, key, scope);
    await next();
  };
}

/** A candidate token with `scope`, from `Authorization: Bearer`. */
export function requireCandidate(scope: CandidateScope): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearer(c.req.header('Authorization'));
    if (!token) throw new ApiError('UNAUTHORIZED', 'Missing candidate token (Authorization: Bearer)');
    await authenticateCandidate(c, token, scope);
    await next();
  };
}

/** Either a tenant key (the tenant's server proxying) or a candidate token (the browser itself). */
export function requireApiKeyOrCandidate(
  apiScope: ApiKeyScope,
  candidateScope: CandidateScope,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = c.req.header('X-API-TOKEN');
    const token = bearer(c.req.header('Authorization'));
    if (key) await authenticateApiKey(c, key, apiScope);
    else if (token) await authenticateCandidate(c, token, candidateScope);
    else throw new ApiError('UNAUTHORIZED', 'Missing X-API-TOKEN header or candidate token');
    await next();
  };
}

/** A bearer secret from configuration: the admin token or the transcoder's internal token. */
export function requireSecret(name: 'ADMIN_TOKEN' | 'INTERNAL_TOKEN'): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearer(c.req.header('Authorization'));
    if (!token) throw new ApiError('UNAUTHORIZED', 'Missing bearer token');
    if (!(await secretsEqual(token, c.get('config')[name])))
      throw new ApiError('UNAUTHORIZED', 'Invalid bearer token');
    await next();
  };
}
