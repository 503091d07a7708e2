import { defineConfig } from 'vitest/config';

/**
 * Test files that mostly wait for the wall clock (a reminder at the next minute, then the
 * grace minute before "missed"): about two minutes each with little work. They run in a pool
 * of their own (threads), beside the two forks, from the start of the run: in the forks they
 * held both slots idle for the last two minutes (vitest runs the smallest files last).
 */
const CLOCK_BOUND = ['**/test/process/reminders-*.test.ts'];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Two cores: at most two test files at once, each on its own database.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 }, threads: { maxThreads: 2, minThreads: 1 } },
    poolMatchGlobs: CLOCK_BOUND.map((glob) => [glob, 'threads']),
    testTimeout: 60_000,
    // expect.poll waits for a browser or a job, not for a speed goal: 1 s (the default) is too
    // short on two busy cores, where a first Khmer render or a job may take several seconds.
    expect: { poll: { timeout: 15_000 } },
    hookTimeout: 120_000,
  },
});
