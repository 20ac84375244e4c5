/**
 * The session lifecycle from the product contract (`/session…`), called by the tenant's server with its API
 * key, plus the browser-facing calls a candidate token allows (upload policy, chunk notices).
 */
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { cors } from 'hono/cors';
import {
  CandidateTokenResponse,
  ChunkNotificationBody,
  CreateSessionBody,
  CreateSessionResponse,
  PresignedPolicyQuery,
  PresignedPolicyResponse,
  SessionLookup,
  SessionQuery,
  SessionRequest,
  SessionResponse,
} from '../../contracts/api.ts';
import {
  ASSET_CONTENT_TYPES,
  assetContentType,
  chunkInSessionWindow,
  parseChunkKey,
  rawPrefix,
  sessionPrefix,
  UPLOAD_CONTENT_TYPES,
} from '../../contracts/storage.ts';
import { requireApiKey, requireApiKeyOrCandidate, requireCandidate } from '../auth/middleware.ts';
import { CANDIDATE_SCOPES, signToken } from '../auth/tokens.ts';
import { sessionClock } from '../clock/session-clock.ts';
import { isoFromDatetime } from '../db/client.ts';
import { deletionSummary } from '../db/deletions.ts';
import { createOrFindSession, markRecording } from '../db/sessions.ts';
import { s3UploadUrl } from '../env.ts';
import { ApiError } from '../http/errors.ts';
import { type AppEnv, createRouter, errorResponses, jsonBody, jsonResponse } from '../http/router.ts';
import { playbackUrl, playerUrl } from '../playback/urls.ts';
import { enqueueJob } from '../queue.ts';
import { objectExists } from '../s3/objects.ts';
import { createPostPolicy } from '../s3/post-policy.ts';
import erasure from './erasure.ts';
import processing from './processing.ts';
import { lookupOf, parsed, queryWithBody, sessionOf, uploadSession } from './session-access.ts';

const session = createRouter();
session.route('/', processing);
session.route('/', erasure);

/** Any object key of some session: `proctor/ies/<tenant>/<session>/…`. */
const SESSION_KEY = /^proctor\/ies\/[^/]+\/[^/]+\//;

/** `screenshare: webm|mp4; …`, for the chunk notice's error message. */
const EXTENSIONS_BY_ASSET = Object.entries(ASSET_CONTENT_TYPES)
  .map(([asset, types]) => `${asset}: ${types.map((type) => UPLOAD_CONTENT_TYPES[type]).join('|')}`)
  .join('; ');

/** A limited recorder waits this long: the limiter counts per minute. */
const CHUNK_NOTICE_RETRY_AFTER_SECONDS = 10;

const apiKey = [{ ApiKey: [] }];
const candidateOrApiKey: Array<Record<string, string[]>> = [{ ApiKey: [] }, { CandidateToken: [] }];

/** Browsers call only the upload-policy and chunk endpoints; they never send the tenant key. */
const browserCors = cors({
  origin: '*',
  allowMethods: ['GET', 'POST', 'OPTIONS'],
  allowHeaders: ['Authorization', 'Content-Type'],
  maxAge: 600,
});
session.use('/session/presigned-policy', browserCors);
session.use('/session/chunks', browserCors);

/** What the edge knows of the caller, kept with the tenant's metadata (`ies_edge`, a name of our own). */
function edgeMetadata(c: Context<AppEnv>) {
  const cf = (c.req.raw as Request & { cf?: Record<string, unknown> }).cf ?? {};
  const pick = (name: string) =>
    typeof cf[name] === 'string' || typeof cf[name] === 'number' ? cf[name] : null;
  return {
    ip: c.req.header('CF-Connecting-IP') ?? null,
    user_agent: c.req.header('User-Agent') ?? null,
    location: {
      country: pick('country'),
      region: pick('region'),
      city: pick('city'),
      timezone: pick('timezone'),
      latitude: pick('latitude'),
      longitude: pick('longitude'),
      colo: pick('colo'),
      asn: pick('asn'),
    },
    received_at: new Date().toISOString(),
  };
}

session.openapi(
  createRoute({
    method: 'post',
    path: '/session',
    summary: 'Create a session (idempotent per unique_identifier)',
    security: apiKey,
    middleware: [requireApiKey('session:create')] as const,
    request: { body: jsonBody(CreateSessionBody) },
    responses: {
      201: jsonResponse('Created', CreateSessionResponse),
      200: jsonResponse('The session that already exists for this unique_identifier', CreateSessionResponse),
      ...errorResponses(400, 401, 403, 409, 410, 413, 415),
    },
  }),
  async (c) => {
    const body = c.req.valid('json');
    const metadata = body.session_metadata;
    const { created, session: row } = await createOrFindSession(c.get('db'), {
      uuid: crypto.randomUUID(),
      tenantUuid: c.get('principal').tenantUuid,
      uniqueIdentifier: body.unique_identifier,
      // Validated by the schema when present: a string, or an integer kept as its decimal text.
      product: {
        type: metadata.product_type === undefined ? null : String(metadata.product_type),
        id: metadata.product_id === undefined ? null : String(metadata.product_id),
      },
      metadata: { ...metadata, ies_edge: edgeMetadata(c) },
    });
    if (!row) {
      throw new ApiError('CONFLICT', 'session_metadata.product_type and product_id name another session');
    }
    // A deleted session keeps its unique_identifier, which is not used again for another recording.
    if (row.status === 'deleted')
      throw new ApiError('GONE', 'The session of this unique_identifier was deleted');
    return c.json({ session_id: row.uuid }, created ? 201 : 200);
  },
);

session.openapi(
  createRoute({
    method: 'get',
    path: '/session',
    summary: 'Read a session and its playback',
    description:
      'The lookup goes in query parameters, or in a JSON body as the product design sends it (server-side clients can send a GET body; browsers cannot). A field in both must agree.',
    security: apiKey,
    middleware: [requireApiKey('session:read')] as const,
    request: { query: SessionQuery },
    responses: { 200: jsonResponse('The session', SessionResponse), ...errorResponses(400, 401, 403, 404) },
  }),
  async (c) => {
    const row = await sessionOf(c, lookupOf(parsed(SessionRequest, await queryWithBody(c))), {
      deleted: 'allow',
    });
    const url = row.status === 'ready' && row.playback_type ? await playbackUrl(c, row) : null;
    const playback = url && row.playback_type ? { url, type: row.playback_type } : null;
    const failure =
      row.status === 'failed'
        ? { code: row.failure_code ?? 'processing_error', reason: row.failure_reason ?? '' }
        : null;
    const deletion = row.status === 'deleted' ? await deletionSummary(c.get('db'), row) : null;
    return c.json(
      {
        success: true,
        session_id: row.uuid,
        status: row.status,
        playback,
        player_url: await playerUrl(c, row),
        failure,
        deletion,
      },
      200,
    );
  },
);

session.openapi(
  createRoute({
    method: 'get',
    path: '/session/presigned-policy',
    summary: 'A short-lived S3 POST policy for uploading one asset’s chunks',
    security: candidateOrApiKey,
    middleware: [requireApiKeyOrCandidate('session:upload', 'upload')] as const,
    request: { query: PresignedPolicyQuery },
    responses: {
      200: jsonResponse('The form fields and URL', PresignedPolicyResponse),
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  async (c) => {
    const query = parsed(PresignedPolicyQuery, await queryWithBody(c));
    const row = await uploadSession(c, query, { cached: true });
    const config = c.get('config');
    const keyPrefix = rawPrefix(row.tenant_uuid, row.uuid, query.asset);
    const policy = await createPostPolicy({
      credentials: {
        accessKeyId: config.AWS_ACCESS_KEY_ID,
        secretAccessKey: config.AWS_SECRET_ACCESS_KEY,
        sessionToken: config.AWS_SESSION_TOKEN,
      },
      region: config.AWS_REGION,
      bucket: config.S3_BUCKET,
      endpoint: s3UploadUrl(config),
      keyPrefix,
      // S3 replaces ${filename} with the uploaded file's name: the recorder names files by the chunk naming.
      key: `${keyPrefix}\${filename}`,
      contentType: assetContentType(query.asset, config.RECORDER_VIDEO_TYPE, query.content_type),
      maxBytes: config.UPLOAD_MAX_BYTES,
      expiresInSeconds: config.UPLOAD_POLICY_TTL_SECONDS,
      now: new Date(),
    });
    c.header('Cache-Control', 'no-store');
    return c.json(policy, 200);
  },
);

session.openapi(
  createRoute({
    method: 'post',
    path: '/session/candidate-token',
    summary: 'A short-lived token for the candidate’s browser, scoped to one session',
    security: apiKey,
    middleware: [requireApiKey('session:upload')] as const,
    request: { body: jsonBody(SessionLookup) },
    responses: {
      201: jsonResponse('The token', CandidateTokenResponse),
      ...errorResponses(400, 401, 403, 404, 413, 415),
    },
  }),
  async (c) => {
    const row = await sessionOf(c, lookupOf(c.req.valid('json')));
    const config = c.get('config');
    const exp = Math.floor(Date.now() / 1000) + config.CANDIDATE_TOKEN_TTL_SECONDS;
    const token = await signToken(
      'ct1',
      { t: row.tenant_uuid, s: row.uuid, sc: [...CANDIDATE_SCOPES], exp },
      config.TOKEN_SIGNING_KEY,
    );
    return c.json({ token, expires_at: new Date(exp * 1000).toISOString(), session_id: row.uuid }, 201);
  },
);

session.openapi(
  createRoute({
    method: 'post',
    path: '/session/chunks',
    summary: 'Tell the service a chunk landed in S3, so it is processed now',
    security: [{ CandidateToken: [] }],
    middleware: [requireCandidate('chunks')] as const,
    request: { body: jsonBody(ChunkNotificationBody) },
    responses: {
      202: { description: 'A chunk job was enqueued' },
      ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503),
    },
  }),
  async (c) => {
    const { key } = c.req.valid('json');
    const { sessionUuid } = c.get('principal') as { sessionUuid: string };
    // Before any lookup, so a flood costs no database or storage call.
    if (!(await c.env.CHUNK_NOTICES.limit({ key: sessionUuid })).success) {
      throw new ApiError('TOO_MANY_REQUESTS', 'Too many chunk notices for this session; retry later', {
        retryAfterSeconds: CHUNK_NOTICE_RETRY_AFTER_SECONDS,
      });
    }
    const row = await uploadSession(c, {}, { cached: false });
    const prefix = sessionPrefix(row.tenant_uuid, row.uuid);
    if (!key.startsWith(prefix) && SESSION_KEY.test(key)) {
      throw new ApiError('FORBIDDEN', 'The key belongs to another session');
    }
    const chunk = parseChunkKey(key, row.tenant_uuid, row.uuid);
    if (!chunk) {
      throw new ApiError(
        'BAD_REQUEST',
        `key must be ${prefix}<asset>/raw/<seq>-<start_ms>-<duration_ms>.<ext>, ext of a type the asset allows (${EXTENSIONS_BY_ASSET})`,
      );
    }
    const startedAt = isoFromDatetime(row.created_at) ?? '';
    if (!chunkInSessionWindow(chunk, Date.parse(startedAt))) {
      throw new ApiError(
        'BAD_REQUEST',
        'The chunk’s start_ms and duration_ms lie outside the session’s time window',
      );
    }
    // A job for an object that is not there would fail on every delivery until the dead-letter queue.
    if (!(await objectExists(c.get('config'), key))) {
      throw new ApiError('NOT_FOUND', 'No object under this key: upload the chunk, then notify');
    }
    await enqueueJob(c.get('config'), {
      version: 1,
      type: 'chunk',
      tenant_uuid: row.tenant_uuid,
      session_uuid: row.uuid,
      requested_at: new Date().toISOString(),
      session_started_at: startedAt,
      key,
    });
    await markRecording(c.get('db'), row.tenant_uuid, row.uuid);
    const ref = { tenantUuid: row.tenant_uuid, sessionUuid: row.uuid };
    c.executionCtx.waitUntil(sessionClock(c.env, row.uuid).chunkLanded(ref, chunk));
    return c.body(null, 202);
  },
);

export default session;
