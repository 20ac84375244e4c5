/**
 * Request and response schemas of the HTTP API, shared by the Worker (validation), the OpenAPI document,
 * the recorder SDK and the player. Field names are snake_case as in the product contract.
 * Objects are strict: an unknown field is a client mistake worth a 400, not something to drop silently.
 */
import { z } from '@hono/zod-openapi';
import { Asset } from './storage.ts';

export const API_PREFIX = '/ies/api/v2';

export const ErrorEnvelope = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'BAD_REQUEST' }),
      message: z.string(),
      requestId: z.string(),
    }),
  })
  .openapi('Error');

const SessionId = z.uuid().openapi({ example: '5f0c9a4e-8d1b-4c2a-9e3f-7a6b5c4d3e2f' });
const UniqueIdentifier = z
  .string()
  .min(1)
  .max(255)
  .openapi({ description: 'Unique per tenant, e.g. the attempt id', example: 'attempt-8812731' });

/** A JSON object of the tenant's own (ip, agent, location, product ids…). */
const Metadata = z.record(z.string(), z.unknown());

export const CreateSessionBody = z
  .strictObject({ unique_identifier: UniqueIdentifier, session_metadata: Metadata.default({}) })
  .openapi('CreateSession');
export const CreateSessionResponse = z.object({ session_id: SessionId }).openapi('SessionCreated');

/** Find a session by `session_id` or by `unique_identifier`, exactly one of them. */
export const SessionLookup = z
  .strictObject({ session_id: SessionId.optional(), unique_identifier: UniqueIdentifier.optional() })
  .refine((q) => (q.session_id === undefined) !== (q.unique_identifier === undefined), {
    message: 'give exactly one of session_id and unique_identifier',
  });

export const SESSION_STATUSES = ['created', 'recording', 'processing', 'ready', 'failed'] as const;
export const PlaybackType = z.enum(['fullvideo', 'hls_masterplaylist']);

export const SessionResponse = z
  .object({
    success: z.boolean(),
    session_id: SessionId,
    status: z.enum(SESSION_STATUSES),
    playback: z.object({ url: z.url(), type: PlaybackType }).nullable(),
  })
  .openapi('Session');

export const PresignedPolicyQuery = z
  .strictObject({
    session_id: SessionId.optional(),
    unique_identifier: UniqueIdentifier.optional(),
    asset: Asset.openapi({ description: 'What the browser uploads' }),
  })
  .refine((q) => !(q.session_id !== undefined && q.unique_identifier !== undefined), {
    message: 'give at most one of session_id and unique_identifier',
  });

export const PresignedPolicyResponse = z
  .object({
    postFields: z.object({
      'Content-Type': z.string(),
      acl: z.literal('private'),
      key: z.string(),
      policy: z.string(),
      'x-amz-algorithm': z.literal('AWS4-HMAC-SHA256'),
      'x-amz-credential': z.string(),
      'x-amz-date': z.string(),
      'x-amz-security-token': z.string().optional(),
      'x-amz-signature': z.string(),
    }),
    url: z.url(),
  })
  .openapi('PresignedPolicy');

export const ProcessBody = z
  .strictObject({
    session_id: SessionId,
    reprocess: z.boolean().default(false).openapi({ description: 'Rebuild a session that is already ready' }),
  })
  .openapi('ProcessSession');

export const CandidateTokenResponse = z
  .object({ token: z.string(), expires_at: z.iso.datetime(), session_id: SessionId })
  .openapi('CandidateToken');

export const ChunkNotificationBody = z
  .strictObject({ key: z.string().min(1).max(1024).openapi({ description: 'The uploaded object key' }) })
  .openapi('ChunkNotification');

export const API_KEY_SCOPES = [
  'session:create',
  'session:read',
  'session:upload',
  'session:process',
] as const;
export const ApiKeyScope = z.enum(API_KEY_SCOPES);
export type ApiKeyScope = z.infer<typeof ApiKeyScope>;

export const TENANT_STATUSES = ['active', 'inactive', 'suspended'] as const;

const Slug = z
  .string()
  .min(2)
  .max(63)
  .regex(/^[a-z0-9][a-z0-9-]*[a-z0-9]$/, 'lowercase letters, digits and inner hyphens')
  .openapi({ example: 'hackerrank' });

export const IssueApiKeyBody = z
  .strictObject({
    label: z.string().min(1).max(255).optional(),
    scopes: z
      .array(ApiKeyScope)
      .min(1)
      .default([...API_KEY_SCOPES]),
    expires_at: z.iso
      .datetime()
      .optional()
      .refine((value) => value === undefined || Date.parse(value) > Date.now(), 'must be in the future'),
  })
  .openapi('IssueApiKey');

export const CreateTenantBody = z
  .strictObject({
    slug: Slug,
    name: z.string().min(1).max(255),
    config: z.record(z.string(), z.unknown()).default({}),
    api_key: IssueApiKeyBody.optional().openapi({ description: 'Options of the first API key' }),
  })
  .openapi('CreateTenant');

export const UpdateTenantBody = z
  .strictObject({
    name: z.string().min(1).max(255).optional(),
    status: z.enum(TENANT_STATUSES).optional(),
    config: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'nothing to update')
  .openapi('UpdateTenant');

export const Tenant = z
  .object({
    tenant_uuid: z.uuid(),
    slug: z.string(),
    name: z.string(),
    status: z.enum(TENANT_STATUSES),
    config: z.record(z.string(), z.unknown()),
  })
  .openapi('Tenant');

export const ApiKeyInfo = z
  .object({
    api_key_id: z.uuid(),
    key_prefix: z.string(),
    label: z.string().nullable(),
    scopes: z.array(ApiKeyScope),
    expires_at: z.string().nullable(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('ApiKey');

/** The one response that carries a key in clear: it is shown once and never again. */
export const IssuedApiKey = ApiKeyInfo.extend({ api_key: z.string() }).openapi('IssuedApiKey');

export const TenantCreated = Tenant.extend({ api_key: IssuedApiKey }).openapi('TenantCreated');
export const ApiKeyList = z.object({ api_keys: z.array(ApiKeyInfo) }).openapi('ApiKeyList');

export const Health = z
  .object({ status: z.enum(['ok', 'degraded']), database: z.enum(['ok', 'unreachable']) })
  .openapi('Health');

/** One clock-sync exchange; the browser sends back the previous exchange's stamps so the server keeps the sample. */
export const ClockExchangeBody = z
  .strictObject({
    t0: z
      .number()
      .nonnegative()
      .openapi({ description: 'Browser monotonic time at send (timeOrigin + now), ms' }),
    previous: z
      .strictObject({
        t0: z.number().nonnegative(),
        server_ms: z.number().nonnegative(),
        t3: z.number().nonnegative(),
      })
      .refine((p) => p.t3 >= p.t0, 't3 must not precede t0')
      .optional(),
  })
  .openapi('ClockExchange');
export const ClockExchangeResponse = z
  .object({ t0: z.number(), server_ms: z.number() })
  .openapi('ClockExchangeReply');
export const ClockReport = z
  .object({
    samples: z.int(),
    offset_ms: z.number().nullable(),
    rtt_ms: z.number().nullable(),
    clock_jumps: z.array(
      z.object({ at_ms: z.number(), from_offset_ms: z.number(), to_offset_ms: z.number() }),
    ),
  })
  .openapi('ClockReport');
