/** A step's local files: a scratch folder under WORK_DIR, and uploading what it made there. */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobContext } from '../jobs/context.ts';
import { mapLimit } from '../parallel.ts';

// Small objects (frames, thumbnails, segments) go up this many at a time.
const UPLOAD_PARALLELISM = 8;

/** Runs `fn` in a fresh directory under WORK_DIR, removed afterwards whatever happens. */
export async function withWorkDir<T>(ctx: JobContext, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(ctx.settings.workDir, 'ies-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Uploads local files to their keys, a few at a time. */
export async function uploadFiles(
  ctx: JobContext,
  files: ReadonlyArray<readonly [key: string, file: string]>,
) {
  await mapLimit(
    files,
    UPLOAD_PARALLELISM,
    ([key, file], _, signal) => ctx.storage.upload(key, file, signal),
    ctx.signal,
  );
}
