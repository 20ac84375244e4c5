import { defineConfig } from 'vitest/config';

/** The stacks synthesized offline; the first synth stages the transcoder's build context. */
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 120_000 },
});
