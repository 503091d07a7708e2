/**
 * The real prescription photos live outside the repository, in ../shared/fixtures (they show
 * real patients' names): present in CI, absent on a fresh clone. A test that needs them asks
 * here; when they are absent it is skipped and says so in one visible line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** DASTERN_SHARED_FIXTURES overrides the place (e.g. a missing one, to try the fresh-clone path where ../shared exists). */
export const SHARED_PRESCRIPTIONS =
  process.env.DASTERN_SHARED_FIXTURES !== undefined && process.env.DASTERN_SHARED_FIXTURES !== ''
    ? path.resolve(process.env.DASTERN_SHARED_FIXTURES)
    : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures/prescriptions');

/** The directory of the real photos, or undefined (after printing why `what` is skipped). */
export function sharedPrescriptions(what: string): string | undefined {
  if (fs.existsSync(SHARED_PRESCRIPTIONS)) return SHARED_PRESCRIPTIONS;
  console.warn(
    `SKIPPED: ${what} — needs the real photos in ${SHARED_PRESCRIPTIONS}, absent on a fresh clone (kept out of the repository)`,
  );
  return undefined;
}
