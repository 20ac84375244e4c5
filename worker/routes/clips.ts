/**
 * Evidence clips under a playback token: `POST /playback/<token>/clips {start_ms, end_ms}` asks for an
 * MP4 of a range of the token's session (server time) and answers 202 with where to ask how it goes;
 * `GET /playback/<token>/clips/<clip_id>` answers pending, failed, or ready with the MP4's URL under the
 * same token (so it expires with it). The transcoder cuts the clip (`transcoder/jobs/clip.ts`); the
 * object appearing under `<asset>/processed/clips/` is the sign it is done.
 */
import { type Context, Hono } from 'hono';
import { API_PREFIX } from '../../contracts/api.ts';
import {
  type ClipAccepted,
  ClipId,
  ClipRecord,
  ClipRequest,
  type ClipStatus,
  clipIdOf,
  clipKeys,
} from '../../contracts/clips.ts';
import { processedPrefix, type VideoAsset } from '../../contracts/storage.ts';
import { isoFromDatetime } from '../db/client.ts';
import { findSession } from '../db/sessions.ts';
import { ApiError, dependencyUnavailable } from '../http/errors.ts';
import type { AppEnv } from '../http/router.ts';
import { playbackClaims } from '../playback/claims.ts';
import { playablePath } from '../playback/urls.ts';
import { enqueueJob } from '../queue.ts';
import { fetchObject, objectExists } from '../s3/objects.ts';
import { parsed } from './session-access.ts';

const clips = new Hono<AppEnv>();

/** A clip asked for again while its job may still run is not enqueued twice. */
const PENDING_FOR_MS = 15 * 60 * 1000;

/** The playback root the request came in on: URLs handed back carry the same token. */
const rootOf = (c: Context<AppEnv>) =>
  `${c.get('config').PUBLIC_BASE_URL}${API_PREFIX}/playback/${c.req.param('token')}`;

/** The token's session and the video asset its clips are cut from (the playback asset, the screen's when there is one). */
async function clippedSession(c: Context<AppEnv>) {
  const claims = await playbackClaims(c);
  const row = await findSession(c.get('db'), claims.t, { session_id: claims.s });
  if (!row) throw new ApiError('NOT_FOUND', 'No such session');
  const path = playablePath(row.playback_key ?? '', row.tenant_uuid, row.uuid);
  const asset = path?.split('/')[0];
  if (
    row.status !== 'ready' ||
    row.playback_type !== 'hls_masterplaylist' ||
    !path ||
    asset === 'screenshots'
  )
    throw new ApiError(
      'CONFLICT',
      `Clips are cut from a processed HLS recording; the session is ${row.status}`,
    );
  return { claims, row, asset: asset as VideoAsset };
}

async function readJson(c: Context<AppEnv>, key: string): Promise<unknown> {
  const object = await fetchObject(c.get('config'), key, { method: 'GET' });
  if (object.status === 404 || object.status === 403) {
    await object.body?.cancel();
    return null;
  }
  if (!object.ok) throw dependencyUnavailable('storage', new Error(`GET answered ${object.status}`));
  // A stored object that is not JSON reads as absent: its schema check then decides, never a 500.
  return object.json().catch(() => null);
}

clips.post('/:token/clips', async (c) => {
  const { claims, row, asset } = await clippedSession(c);
  let input: unknown;
  try {
    input = await c.req.json();
  } catch {
    throw new ApiError('BAD_REQUEST', 'The body is not JSON');
  }
  const range = parsed(ClipRequest, input);
  const manifest = (await readJson(
    c,
    `${processedPrefix(row.tenant_uuid, row.uuid, asset)}manifest.json`,
  )) as {
    timeline?: { start_ms?: number; end_ms?: number };
  } | null;
  const timeline = manifest?.timeline;
  if (typeof timeline?.start_ms !== 'number' || typeof timeline.end_ms !== 'number')
    throw dependencyUnavailable('storage', new Error('the session manifest has no timeline'));
  if (range.start_ms < timeline.start_ms || range.end_ms > timeline.end_ms)
    throw new ApiError(
      'BAD_REQUEST',
      `start_ms and end_ms must lie within the recording, ${timeline.start_ms} to ${timeline.end_ms}`,
    );
  const clipId = await clipIdOf(row.uuid, asset, range.start_ms, range.end_ms);
  const keys = clipKeys(row.tenant_uuid, row.uuid, asset, clipId);
  const config = c.get('config');
  const earlier = ClipRecord.safeParse(await readJson(c, keys.record));
  const running =
    earlier.success &&
    earlier.data.status === 'pending' &&
    Date.now() - Date.parse(earlier.data.requested_at) < PENDING_FOR_MS;
  if (!running && !(await objectExists(config, keys.video))) {
    const requestedAt = new Date().toISOString();
    const record: ClipRecord = {
      version: 1,
      clip_id: clipId,
      status: 'pending',
      ...range,
      requested_at: requestedAt,
    };
    const writeRecord = async (stored: ClipRecord) => {
      const put = await fetchObject(config, keys.record, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(stored),
      });
      await put.body?.cancel();
      if (!put.ok) throw dependencyUnavailable('storage', new Error(`PUT answered ${put.status}`));
    };
    await writeRecord(record);
    const job = enqueueJob(config, {
      version: 1,
      type: 'clip',
      tenant_uuid: claims.t,
      session_uuid: claims.s,
      requested_at: requestedAt,
      session_started_at: isoFromDatetime(row.created_at) ?? undefined,
      asset,
      clip_id: clipId,
      ...range,
    });
    // A request whose job never left must not look pending: a retry would wait out PENDING_FOR_MS.
    await job.catch(async (error: unknown) => {
      await writeRecord({
        ...record,
        status: 'failed',
        reason: 'the jobs queue was unavailable; ask again',
      }).catch(() => undefined);
      throw error;
    });
  }
  const body: ClipAccepted = { clip_id: clipId, status_url: `${rootOf(c)}/clips/${clipId}` };
  return c.json(body, 202);
});

clips.get('/:token/clips/:clipId', async (c) => {
  const clipId = parsed(ClipId, c.req.param('clipId'));
  const { claims, row, asset } = await clippedSession(c);
  const keys = clipKeys(row.tenant_uuid, row.uuid, asset, clipId);
  const record = ClipRecord.safeParse(await readJson(c, keys.record));
  if (!record.success) throw new ApiError('NOT_FOUND', 'No such clip');
  const ready = await objectExists(c.get('config'), keys.video);
  const body: ClipStatus = {
    clip_id: clipId,
    status: ready ? 'ready' : record.data.status,
    start_ms: record.data.start_ms,
    end_ms: record.data.end_ms,
    url: ready ? `${rootOf(c)}/${playablePath(keys.video, row.tenant_uuid, row.uuid)}` : null,
    expires_at: ready ? new Date(claims.exp * 1000).toISOString() : null,
    reason: ready ? null : (record.data.reason ?? null),
  };
  return c.json(body);
});

export default clips;
