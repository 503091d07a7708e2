-- 041_dispatch_schedule.sql — room on each page of medication_reminders for the new versions of
-- its rows (fillfactor 80); the same rows, values and guarantees as before.
--
-- Every dispatched dose writes a new version of its reminder (the move to the next dose), and
-- marking doses missed (or taken, skipped) writes another one (the counters). With full pages
-- (fillfactor 100) each new version went to another page, usually a new one at the end of the
-- table: a relation extension, and every index of the row got a new entry. With 20 % of each
-- page kept free, the new version stays on its page: the counters' update becomes HOT (none of
-- its columns is indexed: no index entries at all), and the move (next_reminder_at is indexed,
-- so it still gets its index entries) no longer extends the table. It applies to the pages
-- written from now on.
--
-- Measured and left out: a narrow schedule table (reminder id, next time) kept by triggers, so
-- that the move would be a HOT update of the reminder. It took more than it saved (a second row
-- to lock, look up and update per dose: 176.6 → 193.5 µs PostgreSQL CPU per dose side by side,
-- 200,000 due of 300,000 reminders); only the missed-dose tick gained, which fillfactor alone
-- gives too.
ALTER TABLE medication_reminders SET (fillfactor = 80);

/* migrate:down
ALTER TABLE medication_reminders RESET (fillfactor);
*/
