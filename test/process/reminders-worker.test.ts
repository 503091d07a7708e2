/** `dastern serve` with DASTERN_RUN_WORKERS=false and a separate `dastern worker` doing the jobs: see scenario.ts. */
import { describe, it } from 'vitest';
import { reminderScenario } from './scenario.ts';

describe('dastern serve plus a separate dastern worker process', () => {
  it('the worker reads, reminds live and by e-mail, marks the missed dose, and runs every scheduled job; serve runs none', async () => {
    await reminderScenario('worker');
  }, 420_000);
});
