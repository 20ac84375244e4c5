/**
 * The transcoder's Prometheus metrics, served at `GET /metrics` beside `/healthz`: what it did, how fast,
 * how far behind the recordings it is, and why ffmpeg failed. One registry per process (prom-client's
 * default), with Node's own process metrics.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, register } from 'prom-client';

collectDefaultMetrics({ prefix: 'ies_transcoder_' });

/** Jobs ended, by type and outcome: `done`, `failed` (retried), `permanent` (not retried), `aborted`. */
export const jobsTotal = new Counter({
  name: 'ies_transcoder_jobs_total',
  help: 'Jobs ended, by type and outcome',
  labelNames: ['type', 'outcome'] as const,
});

/** Wall time of a job, start to end, whatever its outcome. */
export const jobDuration = new Histogram({
  name: 'ies_transcoder_job_duration_seconds',
  help: 'Wall time of a job',
  labelNames: ['type'] as const,
  buckets: [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
});

/** Seconds of recording per second of work for a chunk job done: above 1 keeps up with a live session. */
export const realtimeFactor = new Histogram({
  name: 'ies_transcoder_chunk_realtime_factor',
  help: 'Seconds of recording processed per second of wall time, per chunk job done',
  buckets: [0.5, 1, 2, 4, 8, 16, 32],
});

/** How long after a chunk's recording ended its job started: the service's lag behind the candidate. */
export const queueLag = new Histogram({
  name: 'ies_transcoder_queue_lag_seconds',
  help: 'Time from the end of a chunk (its name) to the start of its job',
  buckets: [0.5, 1, 2, 5, 10, 30, 60, 300, 1800],
});

/** ffmpeg and ffprobe runs holding a media slot now. */
export const mediaSlotsBusy = new Gauge({
  name: 'ies_transcoder_media_slots_busy',
  help: 'ffmpeg and ffprobe runs holding a media slot',
});

/** ffmpeg and ffprobe runs that failed, by tool and reason: `input`, `timeout`, `spawn`, `aborted`. */
export const mediaFailures = new Counter({
  name: 'ies_transcoder_media_failures_total',
  help: 'ffmpeg and ffprobe runs that failed, by tool and reason',
  labelNames: ['tool', 'reason'] as const,
});

/** The metrics in Prometheus' text format, with its content type. */
export async function metricsText(): Promise<{ contentType: string; body: string }> {
  return { contentType: register.contentType, body: await register.metrics() };
}
