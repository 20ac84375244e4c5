/**
 * The `clip` job: an evidence clip of a processed recording, cut from the largest rendition's segments
 * without re-encoding (`media/clip.ts`) into `<asset>/processed/clips/<clip_id>.mp4`. The object
 * appearing is the sign it is done, which the Worker's `GET /playback/<token>/clips/<clip_id>` looks for;
 * a clip that cannot be made is recorded as failed with its reason in `<clip_id>.json`, once no retry is
 * left or at once when retrying cannot help.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { type ClipRecord, clipKeys } from '../../contracts/clips.ts';
import type { ClipJob } from '../../contracts/jobs.ts';
import { RENDITIONS } from '../../contracts/storage.ts';
import { describeError } from '../log.ts';
import { clipMetadata, cutClip, planClip } from '../media/clip.ts';
import { mapLimit } from '../parallel.ts';
import { mediaPlaylist, readMediaPlaylist } from '../playlists/hls.ts';
import { withWorkDir } from '../processing/files.ts';
import { assetKeys, sessionOf } from '../storage/layout.ts';
import { type JobContext, PermanentJobError } from './context.ts';

/** What a clip needs of the session manifest (`finalize/manifest.ts`): the timeline's start and the renditions. */
const ClipManifest = z.object({
  timeline: z.object({ start_ms: z.number() }),
  assets: z.record(
    z.string(),
    z.object({
      status: z.string(),
      renditions: z.array(z.object({ rendition: z.enum(RENDITIONS), playlist: z.string() })).optional(),
    }),
  ),
});

/** Cuts the clip; a failure no retry can mend is recorded at once, any other on the last attempt. */
export async function runClipJob(ctx: JobContext, job: ClipJob): Promise<void> {
  const keys = clipKeys(job.tenant_uuid, job.session_uuid, job.asset, job.clip_id);
  try {
    await cut(ctx, job, keys.video);
  } catch (error) {
    if (error instanceof PermanentJobError || ctx.lastAttempt) {
      const record: ClipRecord = {
        version: 1,
        clip_id: job.clip_id,
        status: 'failed',
        start_ms: job.start_ms,
        end_ms: job.end_ms,
        requested_at: job.requested_at,
        reason: describeError(error).slice(0, 1000),
      };
      await ctx.storage.putJson(keys.record, record);
    }
    throw error;
  }
}

async function cut(ctx: JobContext, job: ClipJob, target: string): Promise<void> {
  if ((await ctx.storage.list(target, ctx.signal)).some((object) => object.key === target)) {
    ctx.log.info('clip already made');
    return;
  }
  const keys = assetKeys({ ...sessionOf(job), asset: job.asset });
  const manifest = await ctx.storage.getJson(keys.manifest, ClipManifest, ctx.signal);
  const asset = manifest?.assets[job.asset];
  const largest = asset?.renditions?.at(-1);
  if (!manifest || asset?.status !== 'ready' || !largest)
    throw new PermanentJobError(`the ${job.asset} recording is not processed`);
  const playlist = readMediaPlaylist((await ctx.storage.getText(largest.playlist, ctx.signal)) ?? '');
  if (!playlist) throw new PermanentJobError(`${largest.playlist} is not a media playlist`);
  let plan: ReturnType<typeof planClip>;
  try {
    plan = planClip(playlist.segments, manifest.timeline.start_ms, {
      startMs: job.start_ms,
      endMs: job.end_ms,
    });
  } catch (error) {
    throw new PermanentJobError(describeError(error));
  }
  ctx.log.info('clip planned', { segments: plan.segments.length, clipStartMs: plan.startMs });
  await withWorkDir(ctx, async (dir) => {
    const files = plan.segments.map((_, i) => `${String(i).padStart(4, '0')}.ts`);
    await mapLimit(
      plan.segments,
      8,
      (segment, i, signal) =>
        ctx.storage.download(`${keys.hls}${segment.uri}`, join(dir, files[i] ?? ''), signal),
      ctx.signal,
    );
    const local = join(dir, 'clip.m3u8');
    await writeFile(
      local,
      mediaPlaylist(
        plan.segments.map((segment, i) => ({ uri: files[i] ?? '', duration: segment.durationMs / 1000 })),
        'vod',
      ),
    );
    const output = join(dir, 'clip.mp4');
    await cutClip(ctx.media, {
      playlist: local,
      target: output,
      durationSec: plan.durationSec,
      metadata: clipMetadata({
        sessionId: job.session_uuid,
        asset: job.asset,
        rendition: largest.rendition,
        requested: { startMs: job.start_ms, endMs: job.end_ms },
        plan,
      }),
      signal: ctx.signal,
    });
    await ctx.storage.upload(target, output, ctx.signal);
  });
  ctx.log.info('clip written', { key: target, durationSec: plan.durationSec });
}
