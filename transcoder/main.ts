/**
 * The transcoder service: reads its configuration, consumes the jobs queue, serves its health endpoint
 * and shuts down cleanly on SIGTERM/SIGINT. Wiring only; the work is in `jobs/`.
 */
import { mkdir } from 'node:fs/promises';
import { ConfigError, loadConfig } from './config.ts';
import { createDeadLetterReader, type DeadLetterReader } from './consumer/dead-letters.ts';
import { type HealthServer, startHealthServer } from './consumer/health.ts';
import { createJobConsumer } from './consumer/pool.ts';
import { reportFailure } from './jobs/finalize/outcome.ts';
import { runJob } from './jobs/index.ts';
import { createJsonLogger, describeError } from './log.ts';
import { createServices } from './services.ts';

const log = createJsonLogger({ service: 'transcoder' });

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  log.error(error.message);
  process.exit(2);
}

await mkdir(config.workDir, { recursive: true });
const { sqs, services } = createServices(config, log);

const consumer = createJobConsumer({
  sqs,
  queueUrl: config.sqs.jobsQueueUrl,
  concurrency: config.concurrency,
  visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
  shutdownDeadlineMs: config.shutdownDeadlineMs,
  log,
  handle: (job, delivery, signal) =>
    runJob(services, job, {
      signal,
      lastAttempt: delivery.lastAttempt,
      logFields: { messageId: delivery.messageId, attempt: delivery.attempt },
    }),
});
let health: HealthServer;
let deadLetters: DeadLetterReader | undefined;
try {
  health = await startHealthServer(config.healthPort, config.healthHost, consumer.status);
  log.info('health endpoint listening', { port: health.port });
  await consumer.start();
  const deadLetterQueueUrl = consumer.deadLetterQueueUrl();
  if (deadLetterQueueUrl) {
    deadLetters = createDeadLetterReader({
      sqs,
      queueUrl: deadLetterQueueUrl,
      pollMs: config.deadLetterPollMs,
      log,
      reportDead: (job, reason) =>
        reportFailure(
          { ...services, signal: new AbortController().signal, lastAttempt: true, now: Date.now },
          job,
          'processing_error',
          reason,
        ),
    });
    deadLetters.start();
  }
} catch (error) {
  log.error('cannot start', { error: describeError(error) });
  process.exit(1);
}

let stopping = false;
async function shutdown(signal: NodeJS.Signals) {
  if (stopping) return;
  stopping = true;
  log.info('shutdown requested', { signal });
  await Promise.all([consumer.drain(), deadLetters?.stop()]);
  await health.close();
  process.exit(0);
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
