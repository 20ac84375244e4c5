/**
 * Finding the session a request acts on, for every caller kind, with the rules that keep tenants apart:
 * a tenant's key sees only its own sessions (another tenant's is a 404, so existence never leaks), and a
 * candidate token acts only on the one session it names.
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import {
  findSession,
  type SessionGate,
  type SessionLookup,
  type SessionRow,
  sessionGate,
} from '../db/sessions.ts';
import { ApiError, describeZodError } from '../http/errors.ts';
import type { AppEnv } from '../http/router.ts';

/** What a query or body may name a session by. */
export interface LookupFields {
  session_id?: string | undefined;
  unique_identifier?: string | undefined;
  product_type?: string | undefined;
  product_id?: string | undefined;
}

/** The lookup a query or body asks for, or null when it names no session. */
export function lookupIn(query: LookupFields): SessionLookup | null {
  if (query.session_id !== undefined) return { session_id: query.session_id };
  if (query.unique_identifier !== undefined) return { unique_identifier: query.unique_identifier };
  if (query.product_type !== undefined && query.product_id !== undefined)
    return { product_type: query.product_type, product_id: query.product_id };
  return null;
}

/** The lookup a query or body asks for: `session_id`, `unique_identifier` or the product pair. */
export function lookupOf(query: LookupFields): SessionLookup {
  const lookup = lookupIn(query);
  if (!lookup)
    throw new ApiError('BAD_REQUEST', 'give session_id, unique_identifier or product_type and product_id');
  return lookup;
}

/** Whether `row` is the session `lookup` names. */
function rowMatches(row: SessionRow, lookup: SessionLookup): boolean {
  if ('session_id' in lookup) return row.uuid === lookup.session_id;
  if ('unique_identifier' in lookup) return row.unique_identifier === lookup.unique_identifier;
  return row.product_type === lookup.product_type && row.product_id === lookup.product_id;
}

/**
 * The request's query parameters merged with the JSON object of its body, for GETs the product design
 * calls with a body (`{session_id}`). A field given in both must say the same in both.
 */
export async function queryWithBody(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const query: Record<string, unknown> = c.req.query();
  const text = await c.req.text();
  if (text.trim() === '') return query;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError('BAD_REQUEST', 'The body is not JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError('BAD_REQUEST', 'The body must be a JSON object');
  }
  for (const [field, value] of Object.entries(body)) {
    if (field in query && String(query[field]) !== String(value)) {
      throw new ApiError('BAD_REQUEST', `${field} differs between the query and the body`);
    }
  }
  return { ...query, ...body };
}

/** `input` parsed by `schema`, or the 400 its validation failure is. */
export function parsed<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ApiError('BAD_REQUEST', describeZodError(result.error));
  return result.data;
}

const GONE_MESSAGE = 'The session was deleted; GET /session and its deletion report still answer';

/** The caller's session or 404; a deleted one is 410 unless `deleted: 'allow'`. */
export async function sessionOf(
  c: Context<AppEnv>,
  lookup: SessionLookup,
  options: { deleted?: 'allow' } = {},
): Promise<SessionRow> {
  const found = await findSession(c.get('db'), c.get('principal').tenantUuid, lookup);
  if (!found) throw new ApiError('NOT_FOUND', 'No such session');
  if (found.status === 'deleted' && options.deleted !== 'allow') throw new ApiError('GONE', GONE_MESSAGE);
  return found;
}

/** How long an upload-policy request may rely on an earlier check of its session and tenant. */
const GATE_CACHE_MS = 30_000;
const GATE_CACHE_ENTRIES = 10_000;
const gateCache = new Map<string, { until: number; gate: SessionGate | null }>();

// Keyed by the pair the check was made for: a token naming another tenant's session must not leave an
// answer ("no such session") that the session's own candidate would then be given.
const gateKey = (tenantUuid: string, sessionUuid: string) => `${tenantUuid}/${sessionUuid}`;

/**
 * Drops this isolate's cached check of a session whose state just changed here (it was erased), so its
 * next browser call asks the database; other isolates follow within their cache's 30 s.
 */
export function forgetGate(tenantUuid: string, sessionUuid: string): void {
  gateCache.delete(gateKey(tenantUuid, sessionUuid));
}

/**
 * The session's gate when the session exists and its tenant is active, else the error to answer. From a
 * check up to 30 s old when `cached`: the per-chunk and per-segment calls of browsers reuse it, so a
 * suspension reaches them within that.
 */
async function activeGate(c: Context<AppEnv>, tenantUuid: string, sessionUuid: string, cached: boolean) {
  const now = Date.now();
  const key = gateKey(tenantUuid, sessionUuid);
  let gate = cached ? gateCache.get(key) : undefined;
  if (!gate || gate.until <= now) {
    if (gateCache.size >= GATE_CACHE_ENTRIES) gateCache.clear();
    gate = { until: now + GATE_CACHE_MS, gate: await sessionGate(c.get('db'), tenantUuid, sessionUuid) };
    gateCache.set(key, gate);
  }
  const state = gate.gate;
  if (!state) throw new ApiError('NOT_FOUND', 'No such session');
  if (state.tenant_status !== 'active') throw new ApiError('FORBIDDEN', `Tenant is ${state.tenant_status}`);
  if (state.session_status === 'deleted') throw new ApiError('GONE', GONE_MESSAGE);
  return state;
}

/**
 * A browser's token (candidate or playback) stays valid until it expires, but what it opens closes with
 * the tenant: the session must exist and its tenant be active, from the 30 s cache.
 */
export async function assertTenantActive(c: Context<AppEnv>, tenantUuid: string, sessionUuid: string) {
  await activeGate(c, tenantUuid, sessionUuid, true);
}

/** Whether a browser may still add to a session: as `activeGate`, and the session is not yet processed. */
async function assertOpenForUploads(
  c: Context<AppEnv>,
  tenantUuid: string,
  sessionUuid: string,
  cached: boolean,
) {
  const state = await activeGate(c, tenantUuid, sessionUuid, cached);
  if (state.session_status === 'ready') throw new ApiError('CONFLICT', 'The session is already processed');
  return state;
}

/**
 * The session a browser-facing upload call acts on. With a candidate token it is the token's own session
 * (asking about another is 403); with a tenant key, the one the query names.
 */
export async function uploadSession(
  c: Context<AppEnv>,
  query: LookupFields,
  options: { cached: boolean },
): Promise<Pick<SessionRow, 'tenant_uuid' | 'uuid' | 'created_at'>> {
  const principal = c.get('principal');
  const own =
    principal.kind === 'candidate'
      ? { tenant_uuid: principal.tenantUuid, uuid: principal.sessionUuid }
      : await sessionOf(c, lookupOf(query));
  const asked = lookupIn(query);
  if (principal.kind === 'candidate' && asked) {
    const other =
      'session_id' in asked
        ? asked.session_id !== own.uuid
        : !rowMatches(await sessionOf(c, { session_id: own.uuid }), asked);
    if (other) throw new ApiError('FORBIDDEN', 'The candidate token is for another session');
  }
  const gate = await assertOpenForUploads(c, own.tenant_uuid, own.uuid, options.cached);
  return { tenant_uuid: own.tenant_uuid, uuid: own.uuid, created_at: gate.created_at };
}
