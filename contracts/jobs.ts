/**
 * Messages on the jobs queue (Worker → transcoder) and the events queue (transcoder → downstream).
 * The Worker builds them with these schemas and the transcoder parses them with the same ones.
 * `version` lets a consumer refuse a message shape it does not know rather than misread it.
 */
import { z } from 'zod';
import { ClipId } from './clips.ts';
import { DELETION_SCOPES } from './deletion.ts';
import { Asset, CHUNK_EXTENSIONS, parseChunkKey, type RawChunk, VIDEO_ASSETS } from './storage.ts';

/** Ids compare in lower case, as the Worker stores them and builds object keys with them. */
const Uuid = z.uuid().overwrite((id) => id.toLowerCase());

/**
 * Why a session failed. The first three are the recording's own: processing it again cannot help, so
 * they are reported at the first attempt; `processing_error` is reported once the queue's retries are
 * spent.
 */
export const FAILURE_CODES = [
  /** Nothing was uploaded for the session. */
  'no_recording',
  /** Chunks were uploaded, but no video chunk lies inside the session's time window. */
  'no_video_in_window',
  /** No video chunk of the session decodes. */
  'undecodable',
  /** Processing kept failing on our side. */
  'processing_error',
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

const JobBase = {
  version: z.literal(1),
  tenant_uuid: Uuid,
  session_uuid: Uuid,
  /** When the Worker enqueued the job, ISO 8601. */
  requested_at: z.iso.datetime(),
  /**
   * When the session was created (the database's clock): the trusted anchor of the session's time window
   * (`SESSION_WINDOW` in storage.ts). Absent only in jobs an operator builds without the database.
   */
  session_started_at: z.iso.datetime().optional(),
};

/**
 * A chunk landed in `raw/`: process its slot of the timeline now. The key says everything else about the
 * chunk (`chunkOfJob`). Messages enqueued by a Worker from before that also carry `asset`, `seq`,
 * `start_ms`, `duration_ms` and `ext`; they may wait in the queue through a deploy, so those fields are
 * still accepted and, where present, must agree with the key (`chunkOfJob`).
 */
export const ChunkJob = z.strictObject({
  ...JobBase,
  type: z.literal('chunk'),
  key: z.string().min(1).max(1024),
  asset: Asset.optional(),
  seq: z.int().min(0).max(999_999).optional(),
  start_ms: z.int().min(0).optional(),
  duration_ms: z.int().min(0).optional(),
  ext: z.enum(CHUNK_EXTENSIONS).optional(),
});
export type ChunkJob = z.infer<typeof ChunkJob>;

/**
 * The chunk a job is for, read from its key; `null` when the key is not a chunk of the job's session, or
 * when a field of an older message (see `ChunkJob`) says otherwise than the key: such a message was
 * not built from this key, and processing it would act on a chunk nobody asked for.
 */
export function chunkOfJob(job: ChunkJob): RawChunk | null {
  const chunk = parseChunkKey(job.key, job.tenant_uuid, job.session_uuid);
  if (!chunk) return null;
  const stated = [
    [job.asset, chunk.asset],
    [job.seq, chunk.seq],
    [job.start_ms, chunk.startMs],
    [job.duration_ms, chunk.durationMs],
    [job.ext, chunk.ext],
  ];
  return stated.every(([said, is]) => said === undefined || said === is) ? chunk : null;
}

/** The attempt ended: finish the package (gaps, playlists, storyboard, stitched video). */
export const FinalizeJob = z.strictObject({
  ...JobBase,
  type: z.literal('finalize'),
  /** Rebuild a session that is already ready, on an explicit request. */
  reprocess: z.boolean(),
});
export type FinalizeJob = z.infer<typeof FinalizeJob>;

/**
 * Remove a session's objects in `scope` (deletion.ts): all of them on a tenant's request or at processed
 * retention, or its raw chunks or reports at their retention. `deletion_id` is the `deletion_audit` row the
 * outcome is reported for.
 */
export const DeleteJob = z.strictObject({
  ...JobBase,
  type: z.literal('delete'),
  scope: z.enum(DELETION_SCOPES),
  deletion_id: Uuid,
});
export type DeleteJob = z.infer<typeof DeleteJob>;

/**
 * Cut an evidence clip of the recording from `start_ms` to `end_ms` (server time, Unix ms) into
 * `<asset>/processed/clips/<clip_id>.mp4` (`transcoder/jobs/clip.ts`).
 */
export const ClipJob = z.strictObject({
  ...JobBase,
  type: z.literal('clip'),
  asset: z.enum(VIDEO_ASSETS),
  clip_id: ClipId,
  start_ms: z.int().min(0),
  end_ms: z.int().min(0),
});
export type ClipJob = z.infer<typeof ClipJob>;

export const Job = z.discriminatedUnion('type', [ChunkJob, FinalizeJob, DeleteJob, ClipJob]);
export type Job = z.infer<typeof Job>;

const EventBase = {
  version: z.literal(1),
  tenant_uuid: Uuid,
  session_uuid: Uuid,
  occurred_at: z.iso.datetime(),
};

/** Frames of one chunk are in S3 and can be analysed now. */
export const FramesAvailableEvent = z.strictObject({
  ...EventBase,
  type: z.literal('frames.available'),
  asset: Asset,
  seq: z.int().min(0),
  /** Keys of the frame images, each named by its server-time milliseconds. */
  frame_keys: z.array(z.string()),
});
export type FramesAvailableEvent = z.infer<typeof FramesAvailableEvent>;

/**
 * The session is playable: its playlists (or, for a slideshow, its MP4) and its manifest are written and it
 * is reported ready. A recording's storyboard and stitched video follow, each announced when written.
 */
export const SessionProcessedEvent = z.strictObject({
  ...EventBase,
  type: z.literal('session.processed'),
  playback: z.object({ type: z.enum(['fullvideo', 'hls_masterplaylist']), key: z.string() }),
  duration_ms: z.int().min(0),
  manifest_key: z.string(),
});
export type SessionProcessedEvent = z.infer<typeof SessionProcessedEvent>;

/** A video asset's storyboard (the WebVTT and its sprite sheets) is written, and the manifest says so. */
export const StoryboardAvailableEvent = z.strictObject({
  ...EventBase,
  type: z.literal('storyboard.available'),
  asset: z.enum(VIDEO_ASSETS),
  vtt_key: z.string(),
  sheet_keys: z.array(z.string()),
  manifest_key: z.string(),
});
export type StoryboardAvailableEvent = z.infer<typeof StoryboardAvailableEvent>;

/** A video asset's stitched MP4 is written, and the manifest says so. */
export const StitchedVideoAvailableEvent = z.strictObject({
  ...EventBase,
  type: z.literal('stitched_video.available'),
  asset: z.enum(VIDEO_ASSETS),
  key: z.string(),
  manifest_key: z.string(),
});
export type StitchedVideoAvailableEvent = z.infer<typeof StitchedVideoAvailableEvent>;

/** Finalize could not produce a package. */
export const SessionFailedEvent = z.strictObject({
  ...EventBase,
  type: z.literal('session.failed'),
  reason: z.string(),
});
export type SessionFailedEvent = z.infer<typeof SessionFailedEvent>;

export const ServiceEvent = z.discriminatedUnion('type', [
  FramesAvailableEvent,
  SessionProcessedEvent,
  StoryboardAvailableEvent,
  StitchedVideoAvailableEvent,
  SessionFailedEvent,
]);
export type ServiceEvent = z.infer<typeof ServiceEvent>;

/**
 * The transcoder's report on a session it finalized. The Worker owns the sessions table; the transcoder
 * never writes MySQL, it POSTs this to the Worker's internal endpoint with the internal token.
 */
export const SessionStatusReport = z.strictObject({
  version: z.literal(1),
  tenant_uuid: Uuid,
  session_uuid: Uuid,
  status: z.enum(['ready', 'failed']),
  /**
   * Set when ready: the object the playback URL points at. The column holds 1024 characters: a longer
   * key would be refused or cut by the database.
   */
  playback: z
    .object({ type: z.enum(['fullvideo', 'hls_masterplaylist']), key: z.string().min(1).max(1024) })
    .optional(),
  duration_ms: z.int().min(0).optional(),
  reason: z.string().max(1000).optional(),
  /** Set when failed: what went wrong, as a code the tenant's software can act on. */
  failure_code: z.enum(FAILURE_CODES).optional(),
});
export type SessionStatusReport = z.infer<typeof SessionStatusReport>;

/** The transcoder's report on a delete job: what it removed, counted over every run of the job. */
export const DeletionReport = z.strictObject({
  version: z.literal(1),
  tenant_uuid: Uuid,
  session_uuid: Uuid,
  deletion_id: Uuid,
  scope: z.enum(DELETION_SCOPES),
  objects_removed: z.int().min(0),
  bytes_removed: z.int().min(0),
});
export type DeletionReport = z.infer<typeof DeletionReport>;
