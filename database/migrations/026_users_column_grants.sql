-- 026_users_column_grants.sql — the service may read the columns added to users after 014.
--
-- Since 014 the service's roles read users column by column (password_hash is not among them),
-- so a column added later is invisible to them until granted: 019's doctor_verified_at (the
-- invitation preview and the admin's doctor list read it). Every later migration that adds a
-- column to users grants it the same way.

GRANT SELECT (doctor_verified_at) ON users TO dastern_app;

/* migrate:down
REVOKE SELECT (doctor_verified_at) ON users FROM dastern_app;
*/
