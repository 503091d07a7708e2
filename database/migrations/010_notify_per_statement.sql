-- 010_notify_per_statement.sql — live notifications (003) with one trigger call per INSERT
-- statement on notifications instead of one per row (issue 5: a dispatcher batch inserts
-- thousands). It sends the same NOTIFY per new row, in insertion order, at commit as before:
-- channel dastern_notifications, payload {user_id, id} (src/notifications/hub.ts unchanged).

CREATE OR REPLACE FUNCTION trg_notifications_notify() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
  PERFORM pg_notify('dastern_notifications', json_build_object('user_id', n.user_id, 'id', n.id)::text)
     FROM new_rows n;
  RETURN NULL;
END
$$;

DROP TRIGGER notifications_notify ON notifications;
CREATE TRIGGER notifications_notify AFTER INSERT ON notifications
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION trg_notifications_notify();

/* migrate:down
DROP TRIGGER notifications_notify ON notifications;
CREATE OR REPLACE FUNCTION trg_notifications_notify() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
  PERFORM pg_notify('dastern_notifications', json_build_object('user_id', NEW.user_id, 'id', NEW.id)::text);
  RETURN NULL;
END
$$;
CREATE TRIGGER notifications_notify AFTER INSERT ON notifications
    FOR EACH ROW EXECUTE FUNCTION trg_notifications_notify();
*/
