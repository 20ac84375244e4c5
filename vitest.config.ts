import { defineConfig } from 'vitest/config';

/**
 * unit: pure code, no services. integration: one part against the real thing it drives (MariaDB, ffmpeg,
 * fauxqs), started by the test itself. api: the whole stack (Worker in workerd, MariaDB through the
 * PlanetScale protocol, fauxqs), started once by the global setup. e2e: the same stack with the transcoder,
 * driven as a tenant, a candidate's browser and a player would.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'api',
          include: ['test/api/**/*.test.ts'],
          globalSetup: ['test/setup/global.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/setup/global.ts'],
          testTimeout: 240_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
