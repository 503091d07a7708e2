/** The job settings of config.jobs, shared by `dastern serve` and `dastern worker`. */
import type { Config } from '../config.ts';
import type { ReadingQueueTuning } from './queue.ts';
import type { WorkerDeps } from './workers.ts';

/** The reading queue's policy from config.jobs (shared with `dastern worker`). */
export function jobsTuning(config: Config): ReadingQueueTuning {
  return {
    timeoutSeconds: config.jobs.readingTimeoutSeconds,
    retries: config.jobs.readingRetries,
    retryDelaySeconds: config.jobs.readingRetryDelaySeconds,
  };
}

/** The schedule knobs of config.jobs, for startWorkers (shared with `dastern worker`). */
export function scheduleOptions(
  config: Config,
): Pick<
  WorkerDeps,
  | 'dispatchIntervalSeconds'
  | 'missedGraceMinutes'
  | 'cleanupSessionsCron'
  | 'archivePrescriptionsCron'
  | 'archiveAfterDays'
  | 'partitionMonthsAhead'
  | 'logRetentionMonths'
> {
  return {
    archiveAfterDays: config.jobs.archiveAfterDays,
    partitionMonthsAhead: config.jobs.partitionMonthsAhead,
    logRetentionMonths: config.jobs.logRetentionMonths,
    dispatchIntervalSeconds: config.jobs.dispatchIntervalSeconds,
    missedGraceMinutes: config.jobs.missedGraceMinutes,
    cleanupSessionsCron: config.jobs.cleanupSessionsCron,
    archivePrescriptionsCron: config.jobs.archivePrescriptionsCron,
  };
}
