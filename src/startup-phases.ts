/**
 * Where the start of `dastern serve` goes: each step's end, in ms since the process started
 * (performance.now()), and the CPU the process used until it serves, logged at debug level once
 * it listens ("start-up phases"; LOG_LEVEL=debug). One record per process.
 */
import type { Logger } from './log.ts';

const marks: Record<string, number> = {};

/** Records that the step `name` ended now. */
export function markPhase(name: string): void {
  marks[name] = Math.round(performance.now());
}

/** Records `name` when `promise` settles (fulfilled or not); returns the promise as it is. */
export function timePhase<T>(name: string, promise: Promise<T>): Promise<T> {
  promise.then(
    () => markPhase(name),
    () => markPhase(`${name} (failed)`),
  );
  return promise;
}

export function logPhases(logger: Logger): void {
  const cpu = process.cpuUsage();
  logger.debug(
    { phases: { ...marks }, cpuMs: Math.round((cpu.user + cpu.system) / 1000) },
    'start-up phases (ms since the process started)',
  );
}
