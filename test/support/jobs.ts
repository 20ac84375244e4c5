/** Job messages as the Worker would send them, for tests and benchmarks that drive the transcoder directly. */
import type { FinalizeJob } from '../../contracts/jobs.ts';

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
