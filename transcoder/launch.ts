/**
 * How the transcoder process is started, one definition for the local stack, the tests and the benchmark
 * (the Dockerfile and the `transcoder` npm script repeat it, as they cannot import it).
 *
 * The process holds little (a job's state, the SDK clients) while its ffmpeg children do the heavy work,
 * so memory matters more than Node's peak speed. Measured over 120 chunk jobs at CONCURRENCY 2
 * (`npm run bench:transcode`): `--optimize-for-size` took the Node process from 165 to 114–123 MB peak
 * RSS for 2.5–6 more Node CPU-seconds (against 134–154 for ffmpeg), and two malloc arenas instead of one
 * per thread another 10 MB. The ffmpeg children inherit the arena setting; it changed nothing for them.
 */
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

/** Node's arguments: V8 options, then the entry point. */
export const TRANSCODER_NODE_ARGS = ['--optimize-for-size', join(ROOT, 'transcoder/main.ts')];

/** Environment defaults: a variable already set in the environment wins. */
export const TRANSCODER_ENV = { MALLOC_ARENA_MAX: '2' };
