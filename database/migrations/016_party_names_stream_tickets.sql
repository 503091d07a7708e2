-- 016_party_names_stream_tickets.sql — issue 10, items 6 and 11.
--
-- Item 6: a past relationship is history. Once a patient suspends or ends a relationship, the
-- users policy (app_related_user_ids: pending/active links only) hides the doctor's row, and
-- his name turned to NULL in her relationships and on the notes he wrote. app_party_name(id)
-- exposes only a display name (first and last name; a doctor's specialization and hospital)
-- of someone the caller has or had a relationship with (any status), of herself, or for
-- admins and 'system' — never the rest of the row (e-mail, phone, birth date …), and nothing
-- about anybody else. v_care_relationships and the notes read names through it.
--
-- Item 11: the live notification stream for a browser's EventSource, which cannot send an
-- Authorization header: POST /notifications/stream-ticket stores the SHA-256 of a random
-- ticket (never the ticket) for 60 s; GET /notifications/stream?ticket= consumes it once
-- through app_consume_stream_ticket(), which runs before anybody is signed in (no RLS
-- context) and answers the ticket's user, role and session only when the ticket is unused,
-- unexpired and the account still active. A ticket is a credential, not personal data: like
-- user_session_rotated_tokens it is not copied into the audit log.

-- ---------------------------------------------------------------- display names
CREATE OR REPLACE FUNCTION app_party_name(p_user_id uuid)
RETURNS TABLE (first_name text, last_name text, specialization text, hospital_name text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT u.first_name, u.last_name,
         CASE WHEN u.role = 'doctor' THEN u.specialization END,
         CASE WHEN u.role = 'doctor' THEN u.hospital_name END
  FROM users u
  WHERE u.id = p_user_id AND u.deleted_at IS NULL
    AND (u.id = app_current_user_id() OR app_is_admin() OR app_is_system()
         OR EXISTS (SELECT 1 FROM doctor_patient_relationships r
                    WHERE (r.doctor_id = u.id AND r.patient_id = app_current_user_id())
                       OR (r.patient_id = u.id AND r.doctor_id = app_current_user_id())))
$$;
REVOKE ALL ON FUNCTION app_party_name(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_party_name(uuid) TO dastern_app;

CREATE OR REPLACE VIEW v_care_relationships WITH (security_invoker = true) AS
SELECT r.id, r.doctor_id, r.patient_id, r.status, r.initiated_by, r.invitation_expires_at,
       r.accepted_at, r.ended_at, r.end_reason,
       r.can_view_prescriptions, r.can_add_notes, r.can_modify_reminders, r.created_at, r.updated_at,
       d.first_name AS doctor_first_name, d.last_name AS doctor_last_name,
       d.specialization AS doctor_specialization, d.hospital_name AS doctor_hospital_name,
       p.first_name AS patient_first_name, p.last_name AS patient_last_name
FROM doctor_patient_relationships r
LEFT JOIN LATERAL app_party_name(r.doctor_id) d ON true
LEFT JOIN LATERAL app_party_name(r.patient_id) p ON true;

-- ---------------------------------------------------------------- stream tickets
CREATE TABLE notification_stream_tickets (
    ticket_hash     text PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id      uuid NOT NULL REFERENCES user_sessions (id) ON DELETE CASCADE,
    expires_at      timestamptz NOT NULL,
    used_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notification_stream_tickets_ticket_hash_check CHECK (ticket_hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT notification_stream_tickets_expires_at_check CHECK (expires_at > created_at AND expires_at <= created_at + interval '5 minutes')
);
CREATE INDEX idx_notification_stream_tickets_user_id ON notification_stream_tickets (user_id, expires_at);
CREATE INDEX idx_notification_stream_tickets_session_id ON notification_stream_tickets (session_id);

ALTER TABLE notification_stream_tickets ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification_stream_tickets FORCE ROW LEVEL SECURITY;
-- the owner issues tickets and clears her expired ones; reading and consuming go through
-- app_consume_stream_ticket(); 'system' cleans up
CREATE POLICY notification_stream_tickets_insert ON notification_stream_tickets FOR INSERT WITH CHECK (
    user_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));
CREATE POLICY notification_stream_tickets_delete ON notification_stream_tickets FOR DELETE USING (
    (user_id = (SELECT app_current_user_id()) AND expires_at < now()) OR (SELECT app_is_system()));
CREATE POLICY notification_stream_tickets_select ON notification_stream_tickets FOR SELECT USING (
    (user_id = (SELECT app_current_user_id()) AND expires_at < now()) OR (SELECT app_is_system()));
GRANT SELECT, INSERT, DELETE ON notification_stream_tickets TO dastern_app;

CREATE OR REPLACE FUNCTION app_consume_stream_ticket(p_hash text)
RETURNS TABLE (user_id uuid, role text, session_id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  WITH used AS (
    UPDATE notification_stream_tickets t SET used_at = now()
    WHERE t.ticket_hash = p_hash AND t.used_at IS NULL AND t.expires_at > now()
    RETURNING t.user_id, t.session_id)
  SELECT u.id, u.role::text, used.session_id
  FROM used JOIN users u ON u.id = used.user_id
  WHERE u.is_active AND u.deleted_at IS NULL
$$;
REVOKE ALL ON FUNCTION app_consume_stream_ticket(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_consume_stream_ticket(text) TO dastern_app;

/* migrate:down
DROP FUNCTION IF EXISTS app_consume_stream_ticket(text);
DROP TABLE IF EXISTS notification_stream_tickets;
CREATE OR REPLACE VIEW v_care_relationships WITH (security_invoker = true) AS
SELECT r.id, r.doctor_id, r.patient_id, r.status, r.initiated_by, r.invitation_expires_at,
       r.accepted_at, r.ended_at, r.end_reason,
       r.can_view_prescriptions, r.can_add_notes, r.can_modify_reminders, r.created_at, r.updated_at,
       d.first_name AS doctor_first_name, d.last_name AS doctor_last_name,
       d.specialization AS doctor_specialization, d.hospital_name AS doctor_hospital_name,
       p.first_name AS patient_first_name, p.last_name AS patient_last_name
FROM doctor_patient_relationships r
LEFT JOIN users d ON d.id = r.doctor_id
LEFT JOIN users p ON p.id = r.patient_id;
DROP FUNCTION IF EXISTS app_party_name(uuid);
*/
