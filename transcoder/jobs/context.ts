/**
 * What a job handler is given: storage, the reporter, settings, a logger, a cancellation signal and the
 * facts of this delivery. The queue consumer and the operator CLI both build one, so the handlers do not
 * know which of them runs them.
 */
import type { FailureCode } from '../../contracts/jobs.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { MediaRunner } from '../media/runner.ts';
import type { Reporter } from '../report.ts';
import type { Storage } from '../storage/s3.ts';

/** Everything a job handler needs. */
export interface JobContext {
  storage: Storage;
  reporter: Reporter;
  settings: Pick<Config, 'workDir' | 'framesFps' | 'gapThresholdMs' | 'liveHoldMs' | 'mediaSlots'>;
  log: Logger;
  /** Runs ffmpeg and ffprobe in the service's media slots, logging each command to this job's `log`. */
  media: MediaRunner;
  /** Aborted when the job must stop now (shutdown deadline passed); ffmpeg is killed through it. */
  signal: AbortSignal;
  /** Whether a failure now is final: the queue will not deliver the message again (it goes to the DLQ). */
  lastAttempt: boolean;
  /** The clock, Unix ms. */
  now: () => number;
}

/**
 * A job that no retry can mend (a key that is not the chunk it describes, a session that no longer
 * exists): the consumer moves its message to the dead-letter queue at its first failure.
 */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError';
}

/** A recording that cannot be finalized as it is; the session fails at once with `code`. */
export class RecordingError extends PermanentJobError {
  override name = 'RecordingError';
  readonly code: FailureCode;

  constructor(code: FailureCode, message: string) {
    super(message);
    this.code = code;
  }
}
