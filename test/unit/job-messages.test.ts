import { describe, expect, it } from 'vitest';
import { ChunkJob, chunkOfJob, Job } from '../../contracts/jobs.ts';
import { rawPrefix } from '../../contracts/storage.ts';

const tenant = '0b6a3c1e-5f7d-4c1a-9b2e-3d4f5a6b7c8d';
const session = '9f8e7d6c-5b4a-4321-8fed-cba987654321';
const key = `${rawPrefix(tenant, session, 'webcam')}000042-1764158400123-5012.webm`;
const job = {
  version: 1,
  type: 'chunk',
  tenant_uuid: tenant,
  session_uuid: session,
  requested_at: '2025-11-26T12:00:00.000Z',
  key,
} as const;
/** The fields a Worker from before key-only chunk jobs also sent, agreeing with the key. */
const legacy = { asset: 'webcam', seq: 42, start_ms: 1764158400123, duration_ms: 5012, ext: 'webm' } as const;

describe('chunk jobs', () => {
  it('say which chunk by their key alone', () => {
    expect(Job.parse(job)).toEqual(job);
    expect(chunkOfJob(ChunkJob.parse(job))).toEqual({
      asset: 'webcam',
      key,
      fileName: '000042-1764158400123-5012.webm',
      seq: 42,
      startMs: 1764158400123,
      durationMs: 5012,
      ext: 'webm',
    });
  });

  it('still parse as the Worker sent them before, and mean the same chunk', () => {
    const old = Job.parse({ ...job, ...legacy });
    expect(old.type === 'chunk' && chunkOfJob(old)).toEqual(chunkOfJob(job));
  });

  it.each([
    ['asset', 'screenshare'],
    ['seq', 41],
    ['start_ms', 1764158400124],
    ['duration_ms', 5000],
    ['ext', 'mp4'],
  ])('of the old shape are refused when their %s contradicts the key', (field, value) => {
    const old = ChunkJob.parse({ ...job, ...legacy, [field]: value });
    expect(chunkOfJob(old)).toBeNull();
  });

  it('name no chunk when the key is not one of the session', () => {
    const other = '11111111-1111-4111-8111-111111111111';
    expect(chunkOfJob({ ...job, session_uuid: other })).toBeNull();
    expect(chunkOfJob({ ...job, key: `${rawPrefix(tenant, session, 'webcam')}notes.txt` })).toBeNull();
  });

  it('refuse fields no version of the Worker sent', () => {
    expect(ChunkJob.safeParse({ ...job, priority: 1 }).success).toBe(false);
  });
});
