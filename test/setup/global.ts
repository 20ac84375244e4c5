/**
 * Starts one isolated stack (own folder, database, bucket, queues and ports) per test project that needs
 * one and hands its connection details to the tests through `inject('stack')`. The `e2e` project's stack
 * also runs the transcoder, consuming the jobs queue; the `api` project's does not, so its tests can read
 * the jobs the Worker enqueues.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type StackInfo, startStack } from '../../dev/stack/index.ts';
import { ensureSystemPackages } from '../../dev/system-packages.ts';

/** The first webhook retry's delay in the test stacks (production's default is 60 s). */
export const TEST_WEBHOOK_RETRY_BASE_MS = 500;

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

export default async function setup(project: TestProject) {
  ensureSystemPackages(['mariadb-server', 'ffmpeg', 'chromium']);
  const dir = await mkdtemp(join(tmpdir(), 'ies-test-stack-'));
  const stack = await startStack({
    dir,
    reset: true,
    transcoder: project.name === 'e2e',
    // Webhook retries after 0.5, 1, 2 … s rather than minutes, so a test sees several within seconds.
    workerVars: { WEBHOOK_RETRY_BASE_MS: String(TEST_WEBHOOK_RETRY_BASE_MS) },
  });
  project.provide('stack', stack.info);
  return async () => {
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
