import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Two cores: at most two test files at once, each on its own database.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    // expect.poll waits for a browser or a job, not for a speed goal: 1 s (the default) is too
    // short on two busy cores, where a first Khmer render or a job may take several seconds.
    expect: { poll: { timeout: 15_000 } },
    hookTimeout: 120_000,
  },
});
