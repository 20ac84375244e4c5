/**
 * Request and response schemas of the HTTP API, shared by the Worker (validation), the OpenAPI document,
 * the recorder SDK and the player. Field names are snake_case as in the product contract.
 * Objects are strict: an unknown field is a client mistake worth a 400, not something to drop silently.
 */
import { z } from '@hono/zod-openapi';
import { DELETION_REASONS, DELETION_SCOPES, TenantRetention } from './deletion.ts';
import { FAILURE_CODES } from './jobs.ts';
import {
  ASSET_CONTENT_TYPES,
  Asset,
  assetAllows,
  UPLOAD_CONTENT_TYPES,
  type UploadContentType,
} from './storage.ts';

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

/** Session ids compare in lower case, however a client spells the hex digits. */
const SessionId = z
  .uuid()
  .overwrite((id) => id.toLowerCase())
  .openapi({ example: '5f0c9a4e-8d1b-4c2a-9e3f-7a6b5c4d3e2f' });

/** MySQL cannot store a lone UTF-16 surrogate: it would be replaced or refused, so it is refused here. */
const wellFormed = (text: string) => text.isWellFormed();
const WELL_FORMED = 'must be well-formed Unicode (no lone surrogates)';

/** Compared byte for byte (migration 0003), so no trimming or case folding happens behind the client's back. */
const UniqueIdentifier = z
  .string()
  .min(1)
  .max(255)
  .regex(/^\S(?:[\s\S]*\S)?$/, 'must not start or end with white space')
  .refine(wellFormed, WELL_FORMED)
  .openapi({ description: 'Unique per tenant, e.g. the attempt id', example: 'attempt-8812731' });

/**
 * Nesting every MySQL-compatible store accepts with room to spare: MySQL 8.0 refuses documents nested
 * over 100 levels (ER_JSON_DOCUMENT_TOO_DEEP); MariaDB 10.11's JSON_VALID CHECK refused an object nested
 * 32 deep sent through this API. Metadata and tenant config need far less.
 */
export const MAX_JSON_DEPTH = 16;

/** Why a JSON value cannot be stored as given, or null when it can. */
function jsonProblem(value: unknown, depth = 1): string | null {
  if (typeof value === 'string') return wellFormed(value) ? null : WELL_FORMED;
  if (value === null || typeof value !== 'object') return null;
  if (depth > MAX_JSON_DEPTH) return `must nest at most ${MAX_JSON_DEPTH} levels deep`;
  for (const [key, item] of Object.entries(value)) {
    const problem = (wellFormed(key) ? null : WELL_FORMED) ?? jsonProblem(item, depth + 1);
    if (problem) return problem;
  }
  return null;
}

/** A JSON object of the caller's own that the database will store as sent. */
const JsonObject = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const problem = jsonProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * The product design's `(product_type, product_id)`, e.g. `("test", 8812731)`: kept in columns of their own
 * (migration 0006) so a session can be found by them. Integer ids are kept as their decimal text, which
 * is also how a query string carries them.
 */
export const ProductType = z
  .string()
  .min(1)
  .max(64)
  .regex(/^\S(?:[\s\S]*\S)?$/, 'must not start or end with white space')
  .refine(wellFormed, WELL_FORMED)
  .openapi({ example: 'test' });
export const ProductId = z
  .union([z.int().min(0), z.string().min(1).max(255)])
  .transform(String)
  .pipe(
    z
      .string()
      .regex(/^\S(?:[\s\S]*\S)?$/, 'must not start or end with white space')
      .refine(wellFormed, WELL_FORMED),
  )
  .openapi({ type: 'string', example: '8812731' });

/** The tenant's own metadata (product ids, agent, location…). */
const Metadata = JsonObject.superRefine((metadata, ctx) => {
  for (const [field, schema] of [
    ['product_type', ProductType],
    ['product_id', ProductId],
  ] as const) {
    if (metadata[field] === undefined) continue;
    const result = schema.safeParse(metadata[field]);
    if (!result.success) {
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: result.error.issues[0]?.message ?? 'invalid',
      });
    }
  }
}).openapi({
  description:
    'Kept with the session. `product_type` (string) and `product_id` (string or integer) also name the session: it can be looked up by the pair, which is unique per tenant.',
});

export const CreateSessionBody = z
  .strictObject({ unique_identifier: UniqueIdentifier, session_metadata: Metadata.default({}) })
  .openapi('CreateSession');
export const CreateSessionResponse = z.object({ session_id: SessionId }).openapi('SessionCreated');

/** The fields that can name a session, every one optional: one of the lookups below. */
export const SessionLookupFields = {
  session_id: SessionId.optional(),
  unique_identifier: UniqueIdentifier.optional(),
  product_type: ProductType.optional(),
  product_id: ProductId.optional(),
};

/** How many ways `q` names a session: `session_id`, `unique_identifier`, `(product_type, product_id)`. */
function lookupsNamed(q: {
  session_id?: string | undefined;
  unique_identifier?: string | undefined;
  product_type?: string | undefined;
  product_id?: string | undefined;
}) {
  const pair = q.product_type !== undefined || q.product_id !== undefined;
  return [q.session_id !== undefined, q.unique_identifier !== undefined, pair].filter(Boolean).length;
}
const ONE_LOOKUP = 'give exactly one of session_id, unique_identifier, (product_type and product_id)';
const BOTH_PRODUCT_FIELDS = {
  message: 'product_type and product_id go together',
  path: ['product_id'],
};
const productPairWhole = (q: { product_type?: string | undefined; product_id?: string | undefined }) =>
  (q.product_type === undefined) === (q.product_id === undefined);

/** Find a session by exactly one of `session_id`, `unique_identifier`, `(product_type, product_id)`. */
export const SessionLookup = z
  .strictObject(SessionLookupFields)
  .refine(productPairWhole, BOTH_PRODUCT_FIELDS)
  .refine((q) => lookupsNamed(q) === 1, { message: ONE_LOOKUP });

/**
 * `GET /session`'s lookup, from the query and, as the product design sends it, from a JSON body. The design's
 * GET payload also shows `success`, which names nothing: it is accepted and ignored.
 */
export const SessionQuery = z.strictObject({ ...SessionLookupFields, success: z.boolean().optional() });
/** `SessionQuery` once the query and the body are merged: it must name exactly one session. */
export const SessionRequest = SessionQuery.refine(productPairWhole, BOTH_PRODUCT_FIELDS).refine(
  (q) => lookupsNamed(q) === 1,
  { message: ONE_LOOKUP },
);

export const SESSION_STATUSES = ['created', 'recording', 'processing', 'ready', 'failed', 'deleted'] as const;
export const PlaybackType = z.enum(['fullvideo', 'hls_masterplaylist']);

export const SessionResponse = z
  .object({
    success: z.boolean(),
    session_id: SessionId,
    status: z.enum(SESSION_STATUSES),
    playback: z.object({ url: z.url(), type: PlaybackType }).nullable(),
    player_url: z.url().nullable().optional().openapi({
      description:
        'The reviewer’s player page for the session, signed and expiring like playback.url; live while it records',
    }),
    failure: z
      .object({
        code: z.enum(FAILURE_CODES),
        reason: z.string().openapi({ description: 'In words, for people' }),
      })
      .nullable()
      .openapi({ description: 'Why processing failed, while the status is failed' }),
    deletion: z
      .object({
        requested_at: z.iso.datetime(),
        completed_at: z.iso.datetime().nullable(),
        objects_removed: z.int().nullable(),
        bytes_removed: z.int().nullable(),
      })
      .nullable()
      .optional()
      .openapi({ description: 'Set once the session is deleted: its objects are removed by completed_at' }),
  })
  .openapi('Session');

/** What a playback token opens, for the player: `GET /playback/<token>/session`. */
export const PlayerSession = z
  .object({
    session_id: SessionId,
    status: z.enum(SESSION_STATUSES),
    live: z.boolean().openapi({ description: 'Still recording: the player follows the live playlists' }),
    playback: z
      .object({
        type: PlaybackType,
        path: z.string().openapi({ example: 'screenshare/processed/hls_playlist/master.m3u8' }),
      })
      .nullable()
      .openapi({ description: 'Once processed: the playback object, relative to the playback root' }),
    expires_at: z.iso.datetime().openapi({ description: 'When the playback token stops working' }),
  })
  .openapi('PlayerSession');
export type PlayerSessionBody = z.infer<typeof PlayerSession>;

export const DeletionRequested = z
  .object({ session_id: SessionId, deletion_id: z.uuid(), status: z.literal('deleted') })
  .openapi('DeletionRequested');

export const DeletionReportResponse = z
  .object({
    session_id: SessionId,
    status: z.enum(SESSION_STATUSES),
    deletions: z.array(
      z.object({
        deletion_id: z.uuid(),
        scope: z.enum(DELETION_SCOPES).openapi({
          description: '`session`: every object; `raw`: raw chunks; `reports`: reports',
        }),
        reason: z.enum(DELETION_REASONS),
        requested_by: z
          .object({ kind: z.enum(['api_key', 'admin', 'retention']), api_key_id: z.uuid().nullable() })
          .openapi({ description: 'The API key that asked, an operator (tenant erasure) or retention' }),
        requested_at: z.iso.datetime(),
        completed_at: z.iso.datetime().nullable(),
        objects_removed: z.int().nullable(),
        bytes_removed: z.int().nullable(),
      }),
    ),
  })
  .openapi('DeletionReport');

export const PresignedPolicyQuery = z
  .strictObject({
    ...SessionLookupFields,
    asset: Asset.default('screenshare').openapi({
      description: 'What the browser uploads; `screenshare` when not given, as the product design calls it',
    }),
    content_type: z
      .enum(Object.keys(UPLOAD_CONTENT_TYPES) as [UploadContentType, ...UploadContentType[]])
      .optional()
      .openapi({
        description: `The container the recorder records: ${Object.entries(ASSET_CONTENT_TYPES)
          .map(([asset, types]) => `${types.join(' or ')} for ${asset}`)
          .join('; ')}. By default the service's configured video type, and image/jpeg for screenshots.`,
      }),
  })
  .refine(productPairWhole, BOTH_PRODUCT_FIELDS)
  .refine((q) => lookupsNamed(q) <= 1, {
    message: 'give at most one of session_id, unique_identifier, (product_type and product_id)',
  })
  .refine((q) => q.content_type === undefined || assetAllows(q.asset, q.content_type), {
    message: 'content_type is not one the asset allows',
    path: ['content_type'],
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
  'events:write',
  'session:delete',
  'webhooks:manage',
] as const;
export const ApiKeyScope = z.enum(API_KEY_SCOPES);
export type ApiKeyScope = z.infer<typeof ApiKeyScope>;
/**
 * A key issued without `scopes` gets these: every scope but `session:delete`, which erases recordings, and
 * `webhooks:manage`, which sends the tenant's events to a URL of the key holder's choosing; both are given
 * only when asked for. Keys keep the scopes they were issued with, so none gains them either.
 */
const ASKED_FOR_ONLY: readonly ApiKeyScope[] = ['session:delete', 'webhooks:manage'];
export const DEFAULT_API_KEY_SCOPES = API_KEY_SCOPES.filter((scope) => !ASKED_FOR_ONLY.includes(scope));

export const TENANT_STATUSES = ['active', 'inactive', 'suspended'] as const;

const Slug = z
  .string()
  .min(2)
  .max(63)
  .regex(/^[a-z0-9][a-z0-9-]*[a-z0-9]$/, 'lowercase letters, digits and inner hyphens')
  .openapi({ example: 'hackerrank' });

/** A tenant's config: its own JSON, where `retention` (deletion.ts `TenantRetention`) must be valid. */
const TenantConfig = JsonObject.superRefine((config, ctx) => {
  if (config.retention === undefined) return;
  const result = TenantRetention.safeParse(config.retention);
  for (const issue of result.error?.issues ?? []) {
    ctx.addIssue({ code: 'custom', path: ['retention', ...issue.path], message: issue.message });
  }
}).openapi({
  description:
    'The tenant’s settings. `retention` (days since a session was created): `raw_days` (30), `processed_days` (365, the whole session), `reports_days` (365), `archive_after_days` (90, or null: objects over 128 KiB to S3 Glacier Instant Retrieval)',
});

export const IssueApiKeyBody = z
  .strictObject({
    label: z.string().min(1).max(255).optional(),
    scopes: z
      .array(ApiKeyScope)
      .min(1)
      .default([...DEFAULT_API_KEY_SCOPES]),
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
    config: TenantConfig.default({}),
    api_key: IssueApiKeyBody.optional().openapi({ description: 'Options of the first API key' }),
  })
  .openapi('CreateTenant');

export const UpdateTenantBody = z
  .strictObject({
    name: z.string().min(1).max(255).optional(),
    status: z.enum(TENANT_STATUSES).optional(),
    config: TenantConfig.optional(),
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

const Reachability = z.enum(['ok', 'unreachable']);
export const Health = z
  .object({
    status: z.enum(['ok', 'degraded']),
    database: Reachability,
    storage: Reachability.openapi({ description: 'S3, where recordings are read and uploads land' }),
    queue: Reachability.openapi({ description: 'SQS, where chunk and finalize jobs are sent' }),
  })
  .openapi('Health');

/** A browser timestamp: finite and before the year 2286, so offsets stay finite. */
const BrowserMs = z.number().nonnegative().max(1e13);

/**
 * One clock-sync exchange, over HTTP or as a WebSocket message. The browser sends back the previous
 * exchange's stamps with the server's receipt for them, so the server keeps only samples whose server time
 * it really stamped. A message with `previous` alone (no `t0`) sends the last stamps of a burst, which no
 * later exchange would carry.
 */
export const ClockExchangeBody = z
  .strictObject({
    t0: BrowserMs.optional().openapi({
      description: 'Browser monotonic time at send (timeOrigin + now), ms; absent to send only `previous`',
    }),
    wall_ms: BrowserMs.optional().openapi({
      description:
        'Browser `Date.now()` taken with t0: a change of `wall_ms − t0` over 1 s between exchanges is a change of the system clock, recorded as a `clock_changed` event',
    }),
    previous: z
      .strictObject({
        t0: BrowserMs,
        server_ms: BrowserMs,
        t3: BrowserMs,
        receipt: z.string().min(1).max(100),
      })
      .refine((p) => p.t3 >= p.t0, 't3 must not precede t0')
      .optional(),
  })
  .refine((body) => body.t0 !== undefined || body.previous !== undefined, 'give t0, previous or both')
  .refine((body) => body.wall_ms === undefined || body.t0 !== undefined, {
    message: 'wall_ms goes with t0',
    path: ['wall_ms'],
  })
  .openapi('ClockExchange');
export const ClockExchangeResponse = z
  .object({
    t0: z.number(),
    server_ms: z.number(),
    receipt: z.string().openapi({ description: 'Send back with this exchange as `previous`' }),
  })
  .openapi('ClockExchangeReply');
/** The WebSocket's answer to a message with `previous` alone: its sample is stored. */
export const ClockFinalReply = z.object({ recorded: z.literal(true) }).openapi('ClockFinalReply');

const Ms = z.number().nullable();
export const ClockReport = z
  .object({
    samples: z.int(),
    offset_ms: z.number().nullable(),
    rtt_ms: z.number().nullable(),
    rtt: z
      .object({ min_ms: Ms, median_ms: Ms, p95_ms: Ms })
      .openapi({ description: 'Round trips of every sample kept' }),
    offset_series: z
      .array(z.object({ at_ms: z.number(), offset_ms: z.number(), rtt_ms: z.number() }))
      .openapi({
        description:
          'The offset over the session: at most 120 points, each the shortest round trip of its stretch of time',
      }),
    clock_jumps: z.array(
      z.object({ at_ms: z.number(), from_offset_ms: z.number(), to_offset_ms: z.number() }),
    ),
  })
  .openapi('ClockReport');

/** The recorder's own integrity signals (`recorder/events.ts`): the only types a candidate token may post. */
export const CANDIDATE_EVENT_TYPES = [
  'share_stopped',
  'surface_not_monitor',
  'page_hidden',
  'page_visible',
  'webcam_lost',
  'recorder_error',
  'recorder_restarted',
  'backlog',
  'storage_full',
] as const;
export const EVENT_SOURCES = ['tenant', 'candidate', 'clock'] as const;
export const EVENT_SEVERITIES = ['info', 'warning', 'critical'] as const;
/** An event's details, serialized, at most this long: a signal's context, not a document store. */
export const MAX_EVENT_DETAILS_BYTES = 4096;
export const MAX_EVENTS_PER_BATCH = 100;

export const IntegrityEventInput = z
  .strictObject({
    type: z
      .string()
      .regex(/^[a-z][a-z0-9_.:-]{0,63}$/, 'lowercase ASCII name, at most 64 characters')
      .openapi({ example: 'share_stopped' }),
    occurred_at_ms: z
      .int()
      .min(0)
      .max(1e13)
      .openapi({ description: 'Server time of the event, Unix ms (the recorder’s clock-synced time)' }),
    severity: z.enum(EVENT_SEVERITIES),
    details: JsonObject.default({}).refine(
      (details) => new TextEncoder().encode(JSON.stringify(details)).length <= MAX_EVENT_DETAILS_BYTES,
      `must serialize to at most ${MAX_EVENT_DETAILS_BYTES} bytes`,
    ),
    idempotency_key: z
      .string()
      .regex(/^[\x21-\x7e]{1,128}$/, '1 to 128 printable ASCII characters')
      .openapi({
        description: 'The same key again in this session is ignored, so a retry stores nothing twice',
      }),
  })
  .openapi('IntegrityEventInput');

export const PostEventsBody = z
  .strictObject({
    session_id: SessionId.optional().openapi({
      description: 'Required with a tenant key; with a candidate token, the token’s own session',
    }),
    events: z.array(IntegrityEventInput).min(1).max(MAX_EVENTS_PER_BATCH),
  })
  .openapi('PostEvents');
export const PostEventsResponse = z
  .object({
    stored: z.int().openapi({ description: 'Events stored by this call' }),
    duplicates: z.int().openapi({ description: 'Events whose idempotency key the session already had' }),
  })
  .openapi('EventsStored');

export const EventsQuery = z.strictObject({
  session_id: SessionId,
  cursor: z.string().max(200).optional().openapi({ description: '`next_cursor` of the previous page' }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const IntegrityEvent = z
  .object({
    event_id: z.string(),
    type: z.string(),
    source: z.enum(EVENT_SOURCES),
    severity: z.enum(EVENT_SEVERITIES),
    occurred_at_ms: z.number(),
    details: z.record(z.string(), z.unknown()),
    idempotency_key: z.string(),
  })
  .openapi('IntegrityEvent');
export const EventList = z
  .object({
    events: z.array(IntegrityEvent),
    next_cursor: z.string().nullable().openapi({ description: 'null on the last page' }),
  })
  .openapi('IntegrityEventList');
