/** Job messages as the Worker would send them, for tests and benchmarks that drive the transcoder directly. */
import type { ChunkJob, FinalizeJob } from '../../contracts/jobs.ts';
import { type Asset, type ChunkName, formatChunkName, rawPrefix } from '../../contracts/storage.ts';

/** A first (not reprocessing) finalize of `session`, without a session start (as the operator CLI sends it). */
export function finalizeJob(tenant: string, session: string): FinalizeJob {
  return {
    version: 1,
    type: 'finalize',
    tenant_uuid: tenant,
    session_uuid: session,
    requested_at: new Date().toISOString(),
    reprocess: false,
  };
}

/** The job for one uploaded chunk, its key the chunk's name under the session's raw prefix for `asset`. */
export function chunkJob(tenant: string, session: string, asset: Asset, chunk: ChunkName): ChunkJob {
  return {
    version: 1,
    type: 'chunk',
    tenant_uuid: tenant,
    session_uuid: session,
    requested_at: new Date().toISOString(),
    key: `${rawPrefix(tenant, session, asset)}${formatChunkName(chunk)}`,
  };
}
