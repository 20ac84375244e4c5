import { defineConfig } from 'vitest/config';

/**
 * unit: pure code, no services. integration: one part against the real thing it drives (MariaDB, ffmpeg,
 * fauxqs), started by the test itself. api: the whole stack (Worker in workerd, MariaDB through the
 * PlanetScale protocol, fauxqs), started once by the global setup.
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
    ],
  },
});
