/** `dastern serve` (what `npm start` runs) on DATABASE_URL sends reminders by itself: see scenario.ts. */
import { describe, it } from 'vitest';
import { reminderScenario } from './scenario.ts';

describe('dastern serve as a process, jobs included', () => {
  it('reminds the patient live and by e-mail at the minute she chose, marks the dose missed after the grace period, and runs every scheduled job', async () => {
    await reminderScenario('serve');
  }, 420_000);
});
