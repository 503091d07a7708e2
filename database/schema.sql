-- =============================================================================
-- DasTern V2 — complete database schema (PostgreSQL 15+)
--
--   psql -v ON_ERROR_STOP=1 -d dastern_v2 -f database/schema.sql
--
-- This file is the source of truth. database/migrations/001_initial_schema.sql
-- carries the same text (its up part) plus a down part; a test checks that they
-- stay byte-identical.
--
-- Run it as the database owner: a superuser or a role with BYPASSRLS (tables use
-- FORCE ROW LEVEL SECURITY, and the SECURITY DEFINER helpers below must read
-- across it). The service itself logs in as `dastern_app` (created here, NOLOGIN;
-- the application gives it LOGIN and a password).
--
-- Row-level-security context, set per transaction by the service:
--   set_config('app.user_id',   '<uuid>', true)   -- the acting user ('' = none)
--   set_config('app.user_role', 'patient'|'doctor'|'admin'|'system', true)
--   set_config('app.client_ip', '<ip>', true)      -- optional, copied to audit rows
--   set_config('app.user_agent', '<ua>', true)     -- optional, copied to audit rows
-- No context -> no rows. 'system' is for background jobs and maintenance only
-- (reminder dispatcher, reading jobs, billing webhooks, cleanup); the API never
-- derives it from anything a client sends.
-- =============================================================================

SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS pgcrypto;   -- digest() for the audit hash chain, gen_random_bytes()
CREATE EXTENSION IF NOT EXISTS citext;     -- case-insensitive e-mail addresses

-- -----------------------------------------------------------------------------
-- The service's role (cluster-wide: created only if missing; never a superuser,
-- never BYPASSRLS, never the tables' owner).
-- -----------------------------------------------------------------------------
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dastern_app') THEN
    BEGIN
      CREATE ROLE dastern_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- created at the same instant by a concurrent migration of another database
    END;
  ELSIF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dastern_app' AND (rolsuper OR rolbypassrls)) THEN
    ALTER ROLE dastern_app NOSUPERUSER NOBYPASSRLS;
  END IF;
END
$$;

-- =============================================================================
-- Enumerated types
-- =============================================================================
CREATE TYPE user_role AS ENUM ('patient', 'doctor', 'admin');
CREATE TYPE subscription_tier AS ENUM ('free', 'premium');
-- pending: uploaded, reading queued · processing: reading running ·
-- ocr_completed: reading done, draft awaits the patient's review ·
-- completed: confirmed by the patient (medications and reminders exist, confirmed_at set) ·
-- error: reading failed (error_message says why) · archived: old, kept read-only.
CREATE TYPE prescription_status AS ENUM ('pending', 'processing', 'ocr_completed', 'completed', 'error', 'archived');
CREATE TYPE relationship_status AS ENUM ('pending', 'active', 'inactive', 'blocked', 'declined');
CREATE TYPE notification_type AS ENUM ('reminder', 'alert', 'message', 'system', 'refill', 'invitation', 'missed_dose', 'prescription');
CREATE TYPE payment_status AS ENUM ('pending', 'completed', 'failed', 'refunded');
CREATE TYPE dose_slot AS ENUM ('morning', 'noon', 'evening', 'night');
CREATE TYPE reminder_log_status AS ENUM ('pending', 'taken', 'skipped', 'snoozed', 'missed');
CREATE TYPE clinical_note_type AS ENUM ('observation', 'recommendation', 'follow_up');
CREATE TYPE subscription_status AS ENUM ('trialing', 'active', 'past_due', 'canceled', 'expired');
CREATE TYPE billing_period AS ENUM ('month', 'year');
CREATE TYPE chat_message_role AS ENUM ('user', 'assistant', 'system');
CREATE TYPE ai_report_status AS ENUM ('pending', 'generating', 'completed', 'failed');
CREATE TYPE notification_channel AS ENUM ('in_app', 'push', 'email', 'sms');
CREATE TYPE delivery_status AS ENUM ('pending', 'sent', 'delivered', 'failed', 'skipped');

-- =============================================================================
-- Context helpers (used by policies, triggers and functions)
-- =============================================================================

-- The acting user: app.user_id as uuid; NULL when unset, empty or not a uuid (never an error).
CREATE OR REPLACE FUNCTION app_current_user_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN s ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN s::uuid END
  FROM (SELECT nullif(btrim(current_setting('app.user_id', true)), '') AS s) AS x
$$;

-- The acting role: 'patient' | 'doctor' | 'admin' | 'system', or NULL when unset/unknown.
CREATE OR REPLACE FUNCTION app_current_role() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN r IN ('patient', 'doctor', 'admin', 'system') THEN r END
  FROM (SELECT lower(btrim(coalesce(current_setting('app.user_role', true), ''))) AS r) AS x
$$;

-- Background jobs and maintenance (app.user_role = 'system').
CREATE OR REPLACE FUNCTION app_is_system() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce(public.app_current_role() = 'system', false)
$$;

-- The client's IP (app.client_ip) as inet, NULL when unset or malformed.
CREATE OR REPLACE FUNCTION app_client_ip() RETURNS inet
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v text := nullif(btrim(current_setting('app.client_ip', true)), '');
BEGIN
  IF v IS NULL THEN
    RETURN NULL;
  END IF;
  RETURN v::inet;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;

-- =============================================================================
-- Tables
-- =============================================================================

-- ---------------------------------------------------------------- users
CREATE TABLE users (
    id                          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email                       citext NOT NULL,
    password_hash               text NOT NULL,
    role                        user_role NOT NULL DEFAULT 'patient',
    first_name                  text NOT NULL,
    last_name                   text NOT NULL,
    phone                       text,
    language                    text NOT NULL DEFAULT 'km',
    timezone                    text NOT NULL DEFAULT 'Asia/Phnom_Penh',
    notification_preferences    jsonb NOT NULL DEFAULT '{"in_app": true, "push": true, "email": true, "sms": false}',
    -- the times of the four Cambodian dose slots, used when reminders are created
    dose_schedule_template      jsonb NOT NULL DEFAULT '{"morning": "07:00", "noon": "11:30", "evening": "17:30", "night": "20:00"}',
    -- patients
    date_of_birth               date,
    gender                      text,
    medical_conditions          text[] NOT NULL DEFAULT '{}',
    allergies                   text[] NOT NULL DEFAULT '{}',
    emergency_contact_name      text,
    emergency_contact_phone     text,
    emergency_contact_relationship text,
    -- doctors
    license_number              text,
    specialization              text,
    hospital_name               text,
    -- account state
    is_active                   boolean NOT NULL DEFAULT true,
    email_verified_at           timestamptz,
    password_changed_at         timestamptz,
    failed_login_count          integer NOT NULL DEFAULT 0,
    failed_login_window_start   timestamptz,
    locked_until                timestamptz,
    last_login_at               timestamptz,
    deleted_at                  timestamptz,
    anonymised_at               timestamptz,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_email_check CHECK (length(email) <= 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
    CONSTRAINT users_password_hash_check CHECK (length(password_hash) >= 20),
    CONSTRAINT users_first_name_check CHECK (btrim(first_name) <> '' AND length(first_name) <= 100),
    CONSTRAINT users_last_name_check CHECK (btrim(last_name) <> '' AND length(last_name) <= 100),
    CONSTRAINT users_phone_check CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    CONSTRAINT users_language_check CHECK (language IN ('km', 'en', 'fr')),
    CONSTRAINT users_timezone_check CHECK (timezone ~ '^(UTC|[A-Z][A-Za-z_]+(/[A-Za-z0-9_+-]+){1,2})$'),
    CONSTRAINT users_notification_preferences_check CHECK (jsonb_typeof(notification_preferences) = 'object'),
    CONSTRAINT users_dose_schedule_template_check CHECK (
        jsonb_typeof(dose_schedule_template) = 'object'
        AND dose_schedule_template ?& ARRAY['morning', 'noon', 'evening', 'night']
        AND dose_schedule_template->>'morning' ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'
        AND dose_schedule_template->>'noon' ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'
        AND dose_schedule_template->>'evening' ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'
        AND dose_schedule_template->>'night' ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
    CONSTRAINT users_date_of_birth_check CHECK (date_of_birth >= DATE '1900-01-01'),
    CONSTRAINT users_gender_check CHECK (gender IN ('male', 'female', 'other')),
    CONSTRAINT users_emergency_contact_phone_check CHECK (emergency_contact_phone ~ '^\+[1-9][0-9]{6,14}$'),
    CONSTRAINT users_license_number_check CHECK (btrim(license_number) <> '' AND length(license_number) <= 64),
    CONSTRAINT users_failed_login_count_check CHECK (failed_login_count >= 0),
    CONSTRAINT users_anonymised_check CHECK (anonymised_at IS NULL OR deleted_at IS NOT NULL)
);
COMMENT ON TABLE users IS 'Patients, doctors and admins. Erasure: deleted_at + anonymised_at (personal fields overwritten) or a hard DELETE (cascades).';
COMMENT ON COLUMN users.dose_schedule_template IS 'HH:MM per slot (morning, noon, evening, night); default Cambodian times 07:00, 11:30, 17:30, 20:00.';

-- ---------------------------------------------------------------- sessions
CREATE TABLE user_sessions (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_token_hash  text NOT NULL,
    rotation_count      integer NOT NULL DEFAULT 0,
    rotated_at          timestamptz,
    device_info         jsonb NOT NULL DEFAULT '{}',
    ip_address          inet,
    user_agent          text,
    expires_at          timestamptz NOT NULL,
    last_used_at        timestamptz,
    revoked_at          timestamptz,
    revoke_reason       text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_sessions_refresh_token_hash_key UNIQUE (refresh_token_hash),
    CONSTRAINT user_sessions_refresh_token_hash_check CHECK (refresh_token_hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT user_sessions_rotation_count_check CHECK (rotation_count >= 0),
    CONSTRAINT user_sessions_device_info_check CHECK (jsonb_typeof(device_info) = 'object'),
    CONSTRAINT user_sessions_user_agent_check CHECK (length(user_agent) <= 1024),
    CONSTRAINT user_sessions_revoke_reason_check CHECK (revoke_reason IS NULL OR revoked_at IS NOT NULL)
);
COMMENT ON TABLE user_sessions IS 'One row per signed-in device (a refresh-token family). refresh_token_hash = hex SHA-256 of the opaque token; rotation moves the old hash to user_session_rotated_tokens (trigger).';

-- Hashes of refresh tokens that were rotated away: presenting one again is token reuse.
CREATE TABLE user_session_rotated_tokens (
    token_hash  text PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES user_sessions (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rotated_at  timestamptz NOT NULL DEFAULT now(),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_session_rotated_tokens_token_hash_check CHECK (token_hash ~ '^[0-9a-f]{64}$')
);

-- ---------------------------------------------------------------- plans, subscriptions, payments
CREATE TABLE subscription_plans (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code            text NOT NULL,
    name            text NOT NULL,
    description     text,
    tier            subscription_tier NOT NULL,
    price_amount    numeric(12, 2) NOT NULL DEFAULT 0,
    currency        text NOT NULL DEFAULT 'USD',
    billing_period  billing_period NOT NULL DEFAULT 'month',
    limits          jsonb NOT NULL DEFAULT '{}',
    features        jsonb NOT NULL DEFAULT '[]',
    is_active       boolean NOT NULL DEFAULT true,
    sort_order      integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT subscription_plans_code_key UNIQUE (code),
    CONSTRAINT subscription_plans_code_check CHECK (code ~ '^[a-z][a-z0-9_]{1,63}$'),
    CONSTRAINT subscription_plans_name_check CHECK (btrim(name) <> ''),
    CONSTRAINT subscription_plans_price_amount_check CHECK (price_amount >= 0),
    CONSTRAINT subscription_plans_free_price_check CHECK (tier <> 'free' OR price_amount = 0),
    CONSTRAINT subscription_plans_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT subscription_plans_limits_check CHECK (jsonb_typeof(limits) = 'object'),
    CONSTRAINT subscription_plans_features_check CHECK (jsonb_typeof(features) IN ('array', 'object'))
);
COMMENT ON COLUMN subscription_plans.limits IS '{"max_prescriptions": n | null (unlimited), "ai_requests_per_month": n}';

CREATE TABLE user_subscriptions (
    id                          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id                     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    plan_id                     uuid NOT NULL REFERENCES subscription_plans (id) ON DELETE RESTRICT,
    status                      subscription_status NOT NULL DEFAULT 'active',
    current_period_start        timestamptz NOT NULL DEFAULT now(),
    current_period_end          timestamptz NOT NULL,
    cancel_at_period_end        boolean NOT NULL DEFAULT false,
    canceled_at                 timestamptz,
    trial_ends_at               timestamptz,
    provider                    text,
    provider_customer_ref       text,
    provider_subscription_ref   text,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_subscriptions_period_check CHECK (current_period_end > current_period_start),
    CONSTRAINT user_subscriptions_canceled_check CHECK (status <> 'canceled' OR canceled_at IS NOT NULL),
    CONSTRAINT user_subscriptions_provider_subscription_ref_key UNIQUE (provider, provider_subscription_ref)
);

CREATE TABLE payment_transactions (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- kept (user reference nulled) when an account is erased: financial records outlive accounts
    user_id             uuid REFERENCES users (id) ON DELETE SET NULL,
    subscription_id     uuid REFERENCES user_subscriptions (id) ON DELETE SET NULL,
    plan_id             uuid REFERENCES subscription_plans (id) ON DELETE RESTRICT,
    amount              numeric(12, 2) NOT NULL,
    currency            text NOT NULL DEFAULT 'USD',
    status              payment_status NOT NULL DEFAULT 'pending',
    provider            text NOT NULL,
    provider_reference  text,
    payment_method      text,
    description         text,
    failure_reason      text,
    paid_at             timestamptz,
    refunded_at         timestamptz,
    refund_amount       numeric(12, 2),
    metadata            jsonb NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payment_transactions_provider_reference_key UNIQUE (provider_reference),
    CONSTRAINT payment_transactions_amount_check CHECK (amount >= 0),
    CONSTRAINT payment_transactions_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT payment_transactions_provider_check CHECK (provider ~ '^[a-z][a-z0-9_]{1,31}$'),
    CONSTRAINT payment_transactions_refund_amount_check CHECK (refund_amount >= 0 AND refund_amount <= amount),
    CONSTRAINT payment_transactions_failed_check CHECK (status <> 'failed' OR failure_reason IS NOT NULL),
    CONSTRAINT payment_transactions_completed_check CHECK (status NOT IN ('completed', 'refunded') OR paid_at IS NOT NULL),
    CONSTRAINT payment_transactions_refunded_check CHECK (status <> 'refunded' OR refunded_at IS NOT NULL),
    CONSTRAINT payment_transactions_metadata_check CHECK (jsonb_typeof(metadata) = 'object')
);

-- ---------------------------------------------------------------- prescriptions
CREATE TABLE prescriptions (
    id                          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    patient_id                  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    uploaded_by                 uuid REFERENCES users (id) ON DELETE SET NULL,
    -- the photo (file store location, never the bytes)
    image_path                  text,
    image_mime_type             text,
    image_size_bytes            bigint,
    image_sha256                text,
    thumbnail_path              text,
    image_metadata              jsonb NOT NULL DEFAULT '{}',
    -- the reading
    ocr_raw_text                text,
    ocr_corrected_text          text,
    structured_data             jsonb,
    ocr_confidence              numeric(4, 3),
    ocr_engine                  text,
    detected_language           text,
    processing_time_ms          integer,
    ai_results                  jsonb,
    -- header of the paper prescription
    hospital_name               text,
    prescription_number         text,
    patient_name_as_written     text,
    patient_age_as_written      integer,
    patient_gender_as_written   text,
    diagnosis                   text[] NOT NULL DEFAULT '{}',
    department                  text,
    prescribing_doctor_name     text,
    prescription_date           date,
    pharmacy_name               text,
    -- workflow
    status                      prescription_status NOT NULL DEFAULT 'pending',
    error_message               text,
    processing_attempts         integer NOT NULL DEFAULT 0,
    processing_started_at       timestamptz,
    processed_at                timestamptz,
    confirmed_at                timestamptz,
    archived_at                 timestamptz,
    deleted_at                  timestamptz,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT prescriptions_id_patient_id_key UNIQUE (id, patient_id),
    CONSTRAINT prescriptions_image_mime_type_check CHECK (image_mime_type IN ('image/jpeg', 'image/png', 'image/webp')),
    CONSTRAINT prescriptions_image_size_bytes_check CHECK (image_size_bytes > 0),
    CONSTRAINT prescriptions_image_sha256_check CHECK (image_sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT prescriptions_image_metadata_check CHECK (jsonb_typeof(image_metadata) = 'object'),
    CONSTRAINT prescriptions_ocr_confidence_check CHECK (ocr_confidence >= 0 AND ocr_confidence <= 1),
    CONSTRAINT prescriptions_detected_language_check CHECK (detected_language ~ '^[a-z]{2,3}([+][a-z]{2,3}){0,3}$'),
    CONSTRAINT prescriptions_processing_time_ms_check CHECK (processing_time_ms >= 0),
    CONSTRAINT prescriptions_patient_age_as_written_check CHECK (patient_age_as_written >= 0 AND patient_age_as_written <= 150),
    CONSTRAINT prescriptions_patient_gender_as_written_check CHECK (patient_gender_as_written IN ('male', 'female', 'other')),
    CONSTRAINT prescriptions_prescription_date_check CHECK (prescription_date >= DATE '1990-01-01'),
    CONSTRAINT prescriptions_processing_attempts_check CHECK (processing_attempts >= 0),
    CONSTRAINT prescriptions_error_check CHECK (status <> 'error' OR error_message IS NOT NULL),
    CONSTRAINT prescriptions_archived_check CHECK (status <> 'archived' OR archived_at IS NOT NULL),
    CONSTRAINT prescriptions_structured_data_check CHECK (jsonb_typeof(structured_data) = 'object'),
    CONSTRAINT prescriptions_ai_results_check CHECK (jsonb_typeof(ai_results) = 'object')
);
COMMENT ON COLUMN prescriptions.status IS 'pending → processing → ocr_completed (awaiting review) → completed (confirmed by the patient); error; archived';

-- ---------------------------------------------------------------- medications
CREATE TABLE medications (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    prescription_id     uuid NOT NULL,
    patient_id          uuid NOT NULL,  -- denormalised from the prescription (enforced by the FK) for fast RLS
    sequence            integer NOT NULL DEFAULT 1,
    name                text NOT NULL,
    generic_name        text,
    brand_name          text,
    strength            text,
    form                text,
    quantity            numeric(10, 2),
    quantity_unit       text,
    duration_days       integer,
    dose_morning        numeric(6, 2) NOT NULL DEFAULT 0,
    dose_noon           numeric(6, 2) NOT NULL DEFAULT 0,
    dose_evening        numeric(6, 2) NOT NULL DEFAULT 0,
    dose_night          numeric(6, 2) NOT NULL DEFAULT 0,
    daily_dose          numeric(8, 2) GENERATED ALWAYS AS (dose_morning + dose_noon + dose_evening + dose_night) STORED,
    instructions        text,
    take_after_meal     boolean NOT NULL DEFAULT false,
    take_before_meal    boolean NOT NULL DEFAULT false,
    confidence          numeric(4, 3),
    field_confidence    jsonb NOT NULL DEFAULT '{}',
    lexicon_id          text,
    is_active           boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT medications_prescription_fkey FOREIGN KEY (prescription_id, patient_id)
        REFERENCES prescriptions (id, patient_id) ON DELETE CASCADE,
    CONSTRAINT medications_id_patient_id_key UNIQUE (id, patient_id),
    CONSTRAINT medications_prescription_id_sequence_key UNIQUE (prescription_id, sequence) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT medications_sequence_check CHECK (sequence >= 1),
    CONSTRAINT medications_name_check CHECK (btrim(name) <> '' AND length(name) <= 200),
    CONSTRAINT medications_quantity_check CHECK (quantity > 0),
    CONSTRAINT medications_duration_days_check CHECK (duration_days >= 1 AND duration_days <= 3650),
    CONSTRAINT medications_dose_check CHECK (dose_morning >= 0 AND dose_noon >= 0 AND dose_evening >= 0 AND dose_night >= 0
        AND dose_morning <= 100 AND dose_noon <= 100 AND dose_evening <= 100 AND dose_night <= 100),
    CONSTRAINT medications_meal_check CHECK (NOT (take_after_meal AND take_before_meal)),
    CONSTRAINT medications_confidence_check CHECK (confidence >= 0 AND confidence <= 1),
    CONSTRAINT medications_field_confidence_check CHECK (jsonb_typeof(field_confidence) = 'object')
);
COMMENT ON COLUMN medications.dose_morning IS 'Dose per slot, Cambodian form: morning (ព្រឹក), noon (ថ្ងៃត្រង់), evening (ល្ងាច), night (យប់); 0 = dash/empty.';

-- ---------------------------------------------------------------- reminders and dose logs
CREATE TABLE medication_reminders (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    medication_id       uuid NOT NULL,
    patient_id          uuid NOT NULL,
    slot                dose_slot NOT NULL,
    reminder_time       time NOT NULL,
    dose_amount         numeric(6, 2) NOT NULL,
    dose_unit           text NOT NULL DEFAULT 'tablet',
    days_of_week        smallint[] NOT NULL DEFAULT '{1,2,3,4,5,6,7}',  -- ISO: 1 = Monday … 7 = Sunday
    start_date          date NOT NULL DEFAULT CURRENT_DATE,
    end_date            date,
    timezone            text NOT NULL DEFAULT 'Asia/Phnom_Penh',
    is_active           boolean NOT NULL DEFAULT true,
    snooze_minutes      integer NOT NULL DEFAULT 10,
    advance_minutes     integer NOT NULL DEFAULT 0,
    grace_minutes       integer NOT NULL DEFAULT 120,
    total_doses         integer NOT NULL DEFAULT 0,   -- dose logs of this reminder (kept by trigger)
    taken_count         integer NOT NULL DEFAULT 0,
    missed_count        integer NOT NULL DEFAULT 0,
    skipped_count       integer NOT NULL DEFAULT 0,
    adherence_rate      numeric(5, 2) GENERATED ALWAYS AS (
        CASE WHEN taken_count + missed_count + skipped_count = 0 THEN NULL
             ELSE round(100.0 * taken_count / (taken_count + missed_count + skipped_count), 2) END) STORED,
    next_reminder_at    timestamptz,
    last_dispatched_at  timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT medication_reminders_medication_fkey FOREIGN KEY (medication_id, patient_id)
        REFERENCES medications (id, patient_id) ON DELETE CASCADE,
    CONSTRAINT medication_reminders_id_patient_id_key UNIQUE (id, patient_id),
    CONSTRAINT medication_reminders_dose_amount_check CHECK (dose_amount > 0 AND dose_amount <= 100),
    CONSTRAINT medication_reminders_dose_unit_check CHECK (btrim(dose_unit) <> '' AND length(dose_unit) <= 32),
    CONSTRAINT medication_reminders_days_of_week_check CHECK (
        cardinality(days_of_week) BETWEEN 1 AND 7 AND days_of_week <@ '{1,2,3,4,5,6,7}'::smallint[]),
    CONSTRAINT medication_reminders_dates_check CHECK (end_date IS NULL OR end_date >= start_date),
    CONSTRAINT medication_reminders_timezone_check CHECK (timezone ~ '^(UTC|[A-Z][A-Za-z_]+(/[A-Za-z0-9_+-]+){1,2})$'),
    CONSTRAINT medication_reminders_snooze_minutes_check CHECK (snooze_minutes BETWEEN 1 AND 240),
    CONSTRAINT medication_reminders_advance_minutes_check CHECK (advance_minutes BETWEEN 0 AND 240),
    CONSTRAINT medication_reminders_grace_minutes_check CHECK (grace_minutes BETWEEN 1 AND 1440),
    CONSTRAINT medication_reminders_counters_check CHECK (total_doses >= 0 AND taken_count >= 0 AND missed_count >= 0
        AND skipped_count >= 0 AND taken_count + missed_count + skipped_count <= total_doses),
    CONSTRAINT medication_reminders_adherence_rate_check CHECK (adherence_rate >= 0 AND adherence_rate <= 100)
);

CREATE TABLE medication_reminder_logs (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    reminder_id     uuid NOT NULL,
    patient_id      uuid NOT NULL,
    scheduled_for   timestamptz NOT NULL,
    status          reminder_log_status NOT NULL DEFAULT 'pending',
    action_at       timestamptz,
    snoozed_until   timestamptz,
    reason          text,
    notified_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT medication_reminder_logs_reminder_fkey FOREIGN KEY (reminder_id, patient_id)
        REFERENCES medication_reminders (id, patient_id) ON DELETE CASCADE,
    -- one log per dose: the dispatcher and the patient both upsert on this key
    CONSTRAINT medication_reminder_logs_reminder_id_scheduled_for_key UNIQUE (reminder_id, scheduled_for),
    CONSTRAINT medication_reminder_logs_action_check CHECK (status NOT IN ('taken', 'skipped') OR action_at IS NOT NULL),
    CONSTRAINT medication_reminder_logs_snoozed_check CHECK (status <> 'snoozed' OR snoozed_until IS NOT NULL),
    CONSTRAINT medication_reminder_logs_reason_check CHECK (length(reason) <= 1000)
);

-- ---------------------------------------------------------------- doctor ↔ patient
CREATE TABLE doctor_patient_relationships (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- the invited side may be unknown until the invitation code is accepted
    doctor_id               uuid REFERENCES users (id) ON DELETE CASCADE,
    patient_id              uuid REFERENCES users (id) ON DELETE CASCADE,
    status                  relationship_status NOT NULL DEFAULT 'pending',
    initiated_by            user_role NOT NULL,
    invitation_code         text,
    invitation_expires_at   timestamptz,
    accepted_at             timestamptz,
    ended_at                timestamptz,
    end_reason              text,
    can_view_prescriptions  boolean NOT NULL DEFAULT true,
    can_add_notes           boolean NOT NULL DEFAULT true,
    can_modify_reminders    boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT doctor_patient_relationships_invitation_code_key UNIQUE (invitation_code),
    CONSTRAINT doctor_patient_relationships_invitation_code_check CHECK (invitation_code ~ '^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8,32}$'),
    CONSTRAINT doctor_patient_relationships_parties_check CHECK (
        (doctor_id IS NOT NULL OR patient_id IS NOT NULL)
        AND (status = 'pending' OR (doctor_id IS NOT NULL AND patient_id IS NOT NULL))
        AND doctor_id IS DISTINCT FROM patient_id),
    CONSTRAINT doctor_patient_relationships_initiated_by_check CHECK (
        (initiated_by = 'doctor' AND doctor_id IS NOT NULL) OR (initiated_by = 'patient' AND patient_id IS NOT NULL)
        OR (initiated_by = 'admin' AND doctor_id IS NOT NULL AND patient_id IS NOT NULL)),
    CONSTRAINT doctor_patient_relationships_active_check CHECK (status <> 'active' OR accepted_at IS NOT NULL),
    CONSTRAINT doctor_patient_relationships_dates_check CHECK (ended_at IS NULL OR accepted_at IS NULL OR ended_at >= accepted_at),
    CONSTRAINT doctor_patient_relationships_end_reason_check CHECK (length(end_reason) <= 1000)
);

-- ---------------------------------------------------------------- clinical notes
CREATE TABLE clinical_notes (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- kept for the patient's record when the doctor's account goes (author nulled)
    doctor_id       uuid REFERENCES users (id) ON DELETE SET NULL,
    patient_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    prescription_id uuid,
    note_type       clinical_note_type NOT NULL DEFAULT 'observation',
    title           text,
    content         text NOT NULL,
    is_private      boolean NOT NULL DEFAULT false,
    follow_up_date  date,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT clinical_notes_prescription_fkey FOREIGN KEY (prescription_id, patient_id)
        REFERENCES prescriptions (id, patient_id) ON DELETE SET NULL (prescription_id),
    CONSTRAINT clinical_notes_title_check CHECK (length(title) <= 200),
    CONSTRAINT clinical_notes_content_check CHECK (btrim(content) <> '' AND length(content) <= 20000)
);

-- ---------------------------------------------------------------- AI (premium)
CREATE TABLE ai_chat_conversations (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    prescription_id uuid,
    title           text,
    language        text NOT NULL DEFAULT 'km',
    is_archived     boolean NOT NULL DEFAULT false,
    last_message_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ai_chat_conversations_prescription_fkey FOREIGN KEY (prescription_id, user_id)
        REFERENCES prescriptions (id, patient_id) ON DELETE SET NULL (prescription_id),
    CONSTRAINT ai_chat_conversations_id_user_id_key UNIQUE (id, user_id),
    CONSTRAINT ai_chat_conversations_title_check CHECK (length(title) <= 200),
    CONSTRAINT ai_chat_conversations_language_check CHECK (language IN ('km', 'en', 'fr'))
);

CREATE TABLE ai_chat_messages (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    conversation_id uuid NOT NULL,
    user_id         uuid NOT NULL,
    role            chat_message_role NOT NULL,
    content         text NOT NULL,
    tokens_input    integer NOT NULL DEFAULT 0,
    tokens_output   integer NOT NULL DEFAULT 0,
    model           text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ai_chat_messages_conversation_fkey FOREIGN KEY (conversation_id, user_id)
        REFERENCES ai_chat_conversations (id, user_id) ON DELETE CASCADE,
    CONSTRAINT ai_chat_messages_content_check CHECK (length(content) <= 100000),
    CONSTRAINT ai_chat_messages_tokens_check CHECK (tokens_input >= 0 AND tokens_output >= 0)
);

CREATE TABLE ai_reports (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    prescription_id uuid,
    report_type     text NOT NULL,
    title           text,
    language        text NOT NULL DEFAULT 'km',
    content         jsonb NOT NULL DEFAULT '{}',
    file_path       text,
    file_mime_type  text,
    status          ai_report_status NOT NULL DEFAULT 'pending',
    error_message   text,
    model           text,
    generated_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ai_reports_prescription_fkey FOREIGN KEY (prescription_id, user_id)
        REFERENCES prescriptions (id, patient_id) ON DELETE SET NULL (prescription_id),
    CONSTRAINT ai_reports_report_type_check CHECK (report_type IN
        ('medication_summary', 'adherence', 'risk_assessment', 'drug_interactions', 'doctor_summary', 'ocr_correction')),
    CONSTRAINT ai_reports_language_check CHECK (language IN ('km', 'en', 'fr')),
    CONSTRAINT ai_reports_content_check CHECK (jsonb_typeof(content) = 'object'),
    CONSTRAINT ai_reports_file_mime_type_check CHECK (file_mime_type IN ('application/pdf', 'application/json', 'text/html')),
    CONSTRAINT ai_reports_failed_check CHECK (status <> 'failed' OR error_message IS NOT NULL)
);

-- ---------------------------------------------------------------- notifications
CREATE TABLE notifications (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type                notification_type NOT NULL,
    title               text NOT NULL,
    body                text NOT NULL DEFAULT '',
    data                jsonb NOT NULL DEFAULT '{}',
    channels            notification_channel[] NOT NULL DEFAULT '{in_app}',
    delivery_status     delivery_status NOT NULL DEFAULT 'pending',
    delivery_attempts   integer NOT NULL DEFAULT 0,
    delivery            jsonb NOT NULL DEFAULT '{}',   -- per-channel results
    delivered_at        timestamptz,
    delivery_error      text,
    -- e.g. 'dose:<reminder_id>:<scheduled_for>': a dose is notified once, even with two dispatchers
    dedupe_key          text,
    read_at             timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notifications_dedupe_key_key UNIQUE (dedupe_key),
    CONSTRAINT notifications_title_check CHECK (btrim(title) <> '' AND length(title) <= 200),
    CONSTRAINT notifications_body_check CHECK (length(body) <= 5000),
    CONSTRAINT notifications_data_check CHECK (jsonb_typeof(data) = 'object'),
    CONSTRAINT notifications_delivery_check CHECK (jsonb_typeof(delivery) = 'object'),
    CONSTRAINT notifications_channels_check CHECK (cardinality(channels) >= 1),
    CONSTRAINT notifications_delivery_attempts_check CHECK (delivery_attempts >= 0)
);

-- ---------------------------------------------------------------- analytics
CREATE TABLE usage_analytics (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid REFERENCES users (id) ON DELETE SET NULL,
    event_type  text NOT NULL,
    platform    text,
    app_version text,
    properties  jsonb NOT NULL DEFAULT '{}',
    occurred_at timestamptz NOT NULL DEFAULT now(),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT usage_analytics_event_type_check CHECK (event_type ~ '^[a-z][a-z0-9_.]{1,63}$'),
    CONSTRAINT usage_analytics_platform_check CHECK (length(platform) <= 32),
    CONSTRAINT usage_analytics_app_version_check CHECK (length(app_version) <= 32),
    CONSTRAINT usage_analytics_properties_check CHECK (jsonb_typeof(properties) = 'object')
);
COMMENT ON COLUMN usage_analytics.event_type IS 'login, prescription_scan, reminder_taken, ai_request (counted against the monthly AI quota), …';

-- ---------------------------------------------------------------- audit trail
-- Append-only and tamper-evident: each row's row_hash = sha256 over its canonical text,
-- which includes the previous row's hash (prev_hash) and payload_hash (a sha256 of the
-- personal parts: actor/subject ids, old/new values, IP, user agent). Erasure may blank
-- those personal parts (redacted_at) without breaking the chain. seq is gapless and is
-- assigned under the lock on audit_chain_head, so concurrent writers chain in commit order.
-- actor_user_id / subject_user_id carry no foreign key on purpose: an audit row must be
-- writable while its user is being deleted and must outlive that user.
CREATE TABLE audit_logs (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq             bigint NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    actor_user_id   uuid,
    actor_role      text,
    action          text NOT NULL,
    table_name      text,
    resource_id     text,
    subject_user_id uuid,              -- whose data this is (the patient), for the access log
    old_values      jsonb,
    new_values      jsonb,
    ip_address      inet,
    user_agent      text,
    request_id      text,
    payload_hash    text NOT NULL,
    prev_hash       text NOT NULL,
    row_hash        text NOT NULL,
    redacted_at     timestamptz,
    CONSTRAINT audit_logs_seq_key UNIQUE (seq),
    CONSTRAINT audit_logs_action_check CHECK (action ~ '^[a-z][a-z0-9_.]{1,63}$'),
    CONSTRAINT audit_logs_actor_role_check CHECK (actor_role IN ('patient', 'doctor', 'admin', 'system')),
    CONSTRAINT audit_logs_table_name_check CHECK (length(table_name) <= 64),
    CONSTRAINT audit_logs_user_agent_check CHECK (length(user_agent) <= 1024),
    CONSTRAINT audit_logs_hash_check CHECK (payload_hash ~ '^[0-9a-f]{64}$' AND prev_hash ~ '^[0-9a-f]{64}$' AND row_hash ~ '^[0-9a-f]{64}$')
);

-- The head of the chain: one row, locked by every audit insert (serialises the chain).
CREATE TABLE audit_chain_head (
    id          integer PRIMARY KEY DEFAULT 1,
    last_seq    bigint NOT NULL DEFAULT 0,
    last_hash   text NOT NULL DEFAULT repeat('0', 64),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT audit_chain_head_single_row CHECK (id = 1)
);
INSERT INTO audit_chain_head (id) VALUES (1) ON CONFLICT (id) DO NOTHING;

-- =============================================================================
-- Indexes (idx_<table>_<columns>): every foreign key, every column a policy filters on,
-- and the hot paths (dispatcher, today's reminders, unread notifications, open sessions).
-- =============================================================================
CREATE UNIQUE INDEX idx_users_license_number ON users (license_number) WHERE license_number IS NOT NULL;
CREATE INDEX idx_users_role ON users (role);
CREATE INDEX idx_users_created_at ON users (created_at);
CREATE INDEX idx_users_last_name_first_name ON users (lower(last_name), lower(first_name));

CREATE INDEX idx_user_sessions_user_id ON user_sessions (user_id);
CREATE INDEX idx_user_sessions_expires_at_open ON user_sessions (expires_at) WHERE revoked_at IS NULL;
CREATE INDEX idx_user_sessions_revoked_at ON user_sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX idx_user_session_rotated_tokens_session_id ON user_session_rotated_tokens (session_id);
CREATE INDEX idx_user_session_rotated_tokens_user_id ON user_session_rotated_tokens (user_id);

CREATE INDEX idx_user_subscriptions_user_id ON user_subscriptions (user_id, current_period_end DESC);
CREATE INDEX idx_user_subscriptions_plan_id ON user_subscriptions (plan_id);
CREATE UNIQUE INDEX idx_user_subscriptions_user_id_current ON user_subscriptions (user_id)
    WHERE status IN ('trialing', 'active', 'past_due');
CREATE INDEX idx_user_subscriptions_current_period_end ON user_subscriptions (current_period_end)
    WHERE status IN ('trialing', 'active', 'past_due');

CREATE INDEX idx_payment_transactions_user_id ON payment_transactions (user_id, created_at DESC);
CREATE INDEX idx_payment_transactions_subscription_id ON payment_transactions (subscription_id);
CREATE INDEX idx_payment_transactions_plan_id ON payment_transactions (plan_id);
CREATE INDEX idx_payment_transactions_status ON payment_transactions (status, created_at);

CREATE INDEX idx_prescriptions_patient_id_created_at ON prescriptions (patient_id, created_at DESC);
CREATE INDEX idx_prescriptions_uploaded_by ON prescriptions (uploaded_by);
CREATE INDEX idx_prescriptions_status_created_at ON prescriptions (status, created_at);
CREATE INDEX idx_prescriptions_in_flight ON prescriptions (created_at) WHERE status IN ('pending', 'processing');
CREATE INDEX idx_prescriptions_patient_id_image_sha256 ON prescriptions (patient_id, image_sha256) WHERE image_sha256 IS NOT NULL;

CREATE INDEX idx_medications_patient_id ON medications (patient_id);
-- medications_prescription_id_sequence_key covers prescription_id (FK and the sample query's join)

CREATE INDEX idx_medication_reminders_medication_id ON medication_reminders (medication_id);
CREATE INDEX idx_medication_reminders_patient_id ON medication_reminders (patient_id);
CREATE INDEX idx_medication_reminders_patient_id_active ON medication_reminders (patient_id, reminder_time) WHERE is_active;
CREATE INDEX idx_medication_reminders_next_reminder_at ON medication_reminders (next_reminder_at) WHERE is_active;

-- (reminder_id, scheduled_for) is covered by the unique constraint
CREATE INDEX idx_medication_reminder_logs_patient_id_scheduled_for ON medication_reminder_logs (patient_id, scheduled_for DESC);
CREATE INDEX idx_medication_reminder_logs_open ON medication_reminder_logs (scheduled_for) WHERE status IN ('pending', 'snoozed');

CREATE INDEX idx_doctor_patient_relationships_doctor_id ON doctor_patient_relationships (doctor_id, status);
CREATE INDEX idx_doctor_patient_relationships_patient_id ON doctor_patient_relationships (patient_id, status);
-- at most one live (pending, active or blocked) relationship per doctor/patient pair
CREATE UNIQUE INDEX idx_doctor_patient_relationships_live_pair ON doctor_patient_relationships (doctor_id, patient_id)
    WHERE status IN ('pending', 'active', 'blocked');

CREATE INDEX idx_clinical_notes_patient_id_created_at ON clinical_notes (patient_id, created_at DESC);
CREATE INDEX idx_clinical_notes_doctor_id ON clinical_notes (doctor_id);
CREATE INDEX idx_clinical_notes_prescription_id ON clinical_notes (prescription_id) WHERE prescription_id IS NOT NULL;

CREATE INDEX idx_ai_chat_conversations_user_id ON ai_chat_conversations (user_id, updated_at DESC);
CREATE INDEX idx_ai_chat_conversations_prescription_id ON ai_chat_conversations (prescription_id) WHERE prescription_id IS NOT NULL;
CREATE INDEX idx_ai_chat_messages_conversation_id ON ai_chat_messages (conversation_id, created_at);
CREATE INDEX idx_ai_chat_messages_user_id_created_at ON ai_chat_messages (user_id, created_at);
CREATE INDEX idx_ai_reports_user_id ON ai_reports (user_id, created_at DESC);
CREATE INDEX idx_ai_reports_prescription_id ON ai_reports (prescription_id) WHERE prescription_id IS NOT NULL;

CREATE INDEX idx_notifications_user_id_created_at ON notifications (user_id, created_at DESC);
CREATE INDEX idx_notifications_user_id_unread ON notifications (user_id, created_at DESC) WHERE read_at IS NULL;
CREATE INDEX idx_notifications_delivery_pending ON notifications (created_at) WHERE delivery_status = 'pending';

CREATE INDEX idx_usage_analytics_user_id_event_type_occurred_at ON usage_analytics (user_id, event_type, occurred_at);
CREATE INDEX idx_usage_analytics_event_type_occurred_at ON usage_analytics (event_type, occurred_at);

CREATE INDEX idx_audit_logs_created_at ON audit_logs (created_at);
CREATE INDEX idx_audit_logs_actor_user_id ON audit_logs (actor_user_id, created_at DESC) WHERE actor_user_id IS NOT NULL;
CREATE INDEX idx_audit_logs_subject_user_id ON audit_logs (subject_user_id, created_at DESC) WHERE subject_user_id IS NOT NULL;
CREATE INDEX idx_audit_logs_table_name_resource_id ON audit_logs (table_name, resource_id);
CREATE INDEX idx_audit_logs_action ON audit_logs (action, created_at);

-- =============================================================================
-- Functions that cross RLS (SECURITY DEFINER, owner's rights, fixed search_path)
-- =============================================================================

-- Is the acting user an active admin? Both the context role AND the stored role must say so.
CREATE OR REPLACE FUNCTION app_is_admin() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT coalesce(app_current_role() = 'admin', false)
     AND EXISTS (SELECT 1 FROM users u
                 WHERE u.id = app_current_user_id() AND u.role = 'admin'
                   AND u.is_active AND u.deleted_at IS NULL)
$$;

-- Patients for whom the acting doctor holds an ACTIVE relationship granting p_permission:
-- 'view_prescriptions' | 'add_notes' | 'modify_reminders' | 'any'.
CREATE OR REPLACE FUNCTION app_doctor_patient_ids(p_permission text) RETURNS uuid[]
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_ids uuid[];
BEGIN
  IF p_permission IS NULL OR p_permission NOT IN ('view_prescriptions', 'add_notes', 'modify_reminders', 'any') THEN
    RAISE EXCEPTION 'unknown doctor permission "%"', p_permission USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT coalesce(array_agg(r.patient_id), '{}') INTO v_ids
  FROM doctor_patient_relationships r
  JOIN users d ON d.id = r.doctor_id AND d.is_active AND d.deleted_at IS NULL
  WHERE r.doctor_id = app_current_user_id()
    AND r.status = 'active'
    AND CASE p_permission
          WHEN 'view_prescriptions' THEN r.can_view_prescriptions
          WHEN 'add_notes' THEN r.can_add_notes
          WHEN 'modify_reminders' THEN r.can_modify_reminders
          ELSE true
        END;
  RETURN v_ids;
END
$$;

-- Does the acting doctor hold an ACTIVE relationship with p_patient_id granting p_permission?
CREATE OR REPLACE FUNCTION app_doctor_can(p_patient_id uuid, p_permission text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT p_patient_id IS NOT NULL AND p_patient_id = ANY (app_doctor_patient_ids(p_permission))
$$;

-- Users whose basic row the acting user may read through a relationship:
-- a patient sees her doctors (pending or active), a doctor sees his patients (active only).
CREATE OR REPLACE FUNCTION app_related_user_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT coalesce(array_agg(x.id), '{}') FROM (
    SELECT r.doctor_id AS id FROM doctor_patient_relationships r
    WHERE r.patient_id = app_current_user_id() AND r.status IN ('pending', 'active') AND r.doctor_id IS NOT NULL
    UNION
    SELECT r.patient_id FROM doctor_patient_relationships r
    WHERE r.doctor_id = app_current_user_id() AND r.status = 'active'
  ) AS x
$$;

-- Users the acting user may send a notification to: the other party of a pending or active relationship.
CREATE OR REPLACE FUNCTION app_notifiable_user_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT coalesce(array_agg(x.id), '{}') FROM (
    SELECT r.doctor_id AS id FROM doctor_patient_relationships r
    WHERE r.patient_id = app_current_user_id() AND r.status IN ('pending', 'active') AND r.doctor_id IS NOT NULL
    UNION
    SELECT r.patient_id FROM doctor_patient_relationships r
    WHERE r.doctor_id = app_current_user_id() AND r.status IN ('pending', 'active') AND r.patient_id IS NOT NULL
  ) AS x
$$;

-- May the caller act on p_user_id's account-level data (quota and subscription checks)?
-- Yes for the user herself, admins, 'system', a doctor with an active relationship, and
-- direct SQL without any context (the owner in psql; the service always sets a context).
CREATE OR REPLACE FUNCTION app_can_act_for(p_user_id uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT (app_current_user_id() IS NULL AND app_current_role() IS NULL)
      OR app_current_user_id() = p_user_id
      OR app_is_system()
      OR app_is_admin()
      OR app_doctor_can(p_user_id, 'any')
$$;

-- ---------------------------------------------------------------- auth (no context yet)

-- Login: the account behind an e-mail (case-insensitive), including the password hash.
CREATE OR REPLACE FUNCTION app_auth_find_user(p_email text)
RETURNS TABLE (id uuid, role user_role, password_hash text, is_active boolean, email_verified_at timestamptz,
               failed_login_count integer, locked_until timestamptz, deleted_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT u.id, u.role, u.password_hash, u.is_active, u.email_verified_at,
         u.failed_login_count, u.locked_until, u.deleted_at
  FROM users u
  WHERE u.email = btrim(p_email)::citext
$$;

-- A failed login: counts failures within p_window; at p_max failures locks the account for
-- p_lock (writes an audit row 'lockout'). Returns locked_until (NULL when not locked).
CREATE OR REPLACE FUNCTION app_auth_record_login_failure(p_user_id uuid, p_max integer, p_window interval, p_lock interval)
RETURNS timestamptz
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_count integer;
  v_locked timestamptz;
BEGIN
  IF p_max IS NULL OR p_max < 1 OR p_window IS NULL OR p_lock IS NULL THEN
    RAISE EXCEPTION 'invalid lockout parameters' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  UPDATE users u SET
      failed_login_count = CASE WHEN u.failed_login_window_start IS NULL OR u.failed_login_window_start <= now() - p_window
                                THEN 1 ELSE u.failed_login_count + 1 END,
      failed_login_window_start = CASE WHEN u.failed_login_window_start IS NULL OR u.failed_login_window_start <= now() - p_window
                                THEN now() ELSE u.failed_login_window_start END
  WHERE u.id = p_user_id
  RETURNING u.failed_login_count, u.locked_until INTO v_count, v_locked;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF v_count >= p_max THEN
    v_locked := now() + p_lock;
    UPDATE users u SET locked_until = v_locked, failed_login_count = 0, failed_login_window_start = NULL
    WHERE u.id = p_user_id;
    INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id, subject_user_id, new_values, ip_address, user_agent)
    VALUES (NULL, app_current_role(), 'lockout', 'users', p_user_id::text, p_user_id,
            jsonb_build_object('locked_until', v_locked, 'failures', v_count),
            app_client_ip(), left(nullif(current_setting('app.user_agent', true), ''), 1024));
    RETURN v_locked;
  END IF;
  IF v_locked IS NOT NULL AND v_locked > now() THEN
    RETURN v_locked;
  END IF;
  RETURN NULL;
END
$$;

-- A successful login: clears the failure counter and the lock, stamps last_login_at.
CREATE OR REPLACE FUNCTION app_auth_record_login_success(p_user_id uuid) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  UPDATE users SET failed_login_count = 0, failed_login_window_start = NULL, locked_until = NULL, last_login_at = now()
  WHERE id = p_user_id
$$;

-- Refresh: the session holding this token hash. is_rotated = true when the hash is an OLD
-- (already rotated) token of that session: token reuse, the caller revokes the session.
CREATE OR REPLACE FUNCTION app_session_by_refresh_hash(p_hash text)
RETURNS TABLE (session_id uuid, user_id uuid, user_role user_role, user_is_active boolean, user_deleted_at timestamptz,
               expires_at timestamptz, revoked_at timestamptz, revoke_reason text, rotation_count integer,
               is_rotated boolean, rotated_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT s.id, s.user_id, u.role, u.is_active, u.deleted_at, s.expires_at, s.revoked_at, s.revoke_reason,
         s.rotation_count, false, s.rotated_at
  FROM user_sessions s JOIN users u ON u.id = s.user_id
  WHERE s.refresh_token_hash = p_hash
  UNION ALL
  SELECT s.id, s.user_id, u.role, u.is_active, u.deleted_at, s.expires_at, s.revoked_at, s.revoke_reason,
         s.rotation_count, true, t.rotated_at
  FROM user_session_rotated_tokens t
  JOIN user_sessions s ON s.id = t.session_id
  JOIN users u ON u.id = s.user_id
  WHERE t.token_hash = p_hash
$$;

-- Refresh in one atomic step: swaps p_old_hash for p_new_hash (and optionally a new expiry).
-- result: 'rotated' | 'reuse_detected' (an old token came back: the session is revoked) |
--         'revoked' | 'expired' | 'user_inactive' | 'not_found'.
CREATE OR REPLACE FUNCTION app_session_rotate(p_old_hash text, p_new_hash text, p_new_expires_at timestamptz DEFAULT NULL)
RETURNS TABLE (result text, session_id uuid, user_id uuid, user_role user_role, expires_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  s user_sessions%ROWTYPE;
  v_role user_role;
  v_usable boolean;
  v_session uuid;
BEGIN
  SELECT * INTO s FROM user_sessions us WHERE us.refresh_token_hash = p_old_hash FOR UPDATE;
  IF FOUND THEN
    SELECT u.role, (u.is_active AND u.deleted_at IS NULL) INTO v_role, v_usable FROM users u WHERE u.id = s.user_id;
    IF s.revoked_at IS NOT NULL THEN
      RETURN QUERY SELECT 'revoked'::text, s.id, s.user_id, v_role, s.expires_at;
    ELSIF s.expires_at <= now() THEN
      RETURN QUERY SELECT 'expired'::text, s.id, s.user_id, v_role, s.expires_at;
    ELSIF NOT v_usable THEN
      UPDATE user_sessions us SET revoked_at = now(), revoke_reason = 'user_inactive' WHERE us.id = s.id;
      RETURN QUERY SELECT 'user_inactive'::text, s.id, s.user_id, v_role, s.expires_at;
    ELSE
      UPDATE user_sessions us
         SET refresh_token_hash = p_new_hash, last_used_at = now(),
             expires_at = coalesce(p_new_expires_at, us.expires_at)
       WHERE us.id = s.id
      RETURNING us.expires_at INTO s.expires_at;
      RETURN QUERY SELECT 'rotated'::text, s.id, s.user_id, v_role, s.expires_at;
    END IF;
    RETURN;
  END IF;
  SELECT t.session_id INTO v_session FROM user_session_rotated_tokens t WHERE t.token_hash = p_old_hash;
  IF FOUND THEN
    UPDATE user_sessions us
       SET revoked_at = coalesce(us.revoked_at, now()),
           revoke_reason = coalesce(us.revoke_reason, 'refresh_token_reuse')
     WHERE us.id = v_session
    RETURNING * INTO s;
    SELECT u.role INTO v_role FROM users u WHERE u.id = s.user_id;
    INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id, subject_user_id, ip_address, user_agent)
    VALUES (NULL, app_current_role(), 'token_reuse', 'user_sessions', s.id::text, s.user_id,
            app_client_ip(), left(nullif(current_setting('app.user_agent', true), ''), 1024));
    RETURN QUERY SELECT 'reuse_detected'::text, s.id, s.user_id, v_role, s.expires_at;
    RETURN;
  END IF;
  RETURN QUERY SELECT 'not_found'::text, NULL::uuid, NULL::uuid, NULL::user_role, NULL::timestamptz;
END
$$;

-- ---------------------------------------------------------------- invitations

-- The PENDING relationship behind an invitation code (for the accept screen). Needs a
-- signed-in caller (app.user_id); returns no row for unknown or used codes.
CREATE OR REPLACE FUNCTION app_find_invitation(p_code text)
RETURNS TABLE (id uuid, doctor_id uuid, patient_id uuid, initiated_by user_role, status relationship_status,
               invitation_expires_at timestamptz, is_expired boolean,
               can_view_prescriptions boolean, can_add_notes boolean, can_modify_reminders boolean,
               inviter_id uuid, inviter_first_name text, inviter_last_name text, inviter_role user_role,
               inviter_specialization text, inviter_hospital_name text, created_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT r.id, r.doctor_id, r.patient_id, r.initiated_by, r.status, r.invitation_expires_at,
         coalesce(r.invitation_expires_at <= now(), false),
         r.can_view_prescriptions, r.can_add_notes, r.can_modify_reminders,
         i.id, i.first_name, i.last_name, i.role, i.specialization, i.hospital_name, r.created_at
  FROM doctor_patient_relationships r
  JOIN users i ON i.id = CASE WHEN r.initiated_by = 'patient' THEN r.patient_id ELSE r.doctor_id END
  WHERE app_current_user_id() IS NOT NULL
    AND r.invitation_code = upper(btrim(p_code))
    AND r.status = 'pending'
$$;

-- Accept an invitation by code as the acting user (app.user_id). The acceptor must have the
-- role of the other side. A patient accepting may set the permissions (NULL keeps the
-- invitation's). Errors (SQLSTATE P0001, message = stable code): invitation_not_found,
-- invitation_expired, invitation_wrong_role, invitation_self, relationship_exists.
CREATE OR REPLACE FUNCTION app_accept_invitation(p_code text, p_can_view_prescriptions boolean DEFAULT NULL,
                                                 p_can_add_notes boolean DEFAULT NULL,
                                                 p_can_modify_reminders boolean DEFAULT NULL)
RETURNS SETOF doctor_patient_relationships
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_me uuid := app_current_user_id();
  v_role user_role;
  r doctor_patient_relationships%ROWTYPE;
BEGIN
  IF v_me IS NULL THEN
    RAISE EXCEPTION 'invitation_not_found';
  END IF;
  SELECT u.role INTO v_role FROM users u WHERE u.id = v_me AND u.is_active AND u.deleted_at IS NULL;
  SELECT * INTO r FROM doctor_patient_relationships x
  WHERE x.invitation_code = upper(btrim(p_code)) AND x.status = 'pending'
  FOR UPDATE;
  IF NOT FOUND OR v_role IS NULL THEN
    RAISE EXCEPTION 'invitation_not_found';
  END IF;
  IF r.invitation_expires_at IS NOT NULL AND r.invitation_expires_at <= now() THEN
    RAISE EXCEPTION 'invitation_expired';
  END IF;
  IF v_me = r.doctor_id AND r.initiated_by = 'doctor' OR v_me = r.patient_id AND r.initiated_by = 'patient' THEN
    RAISE EXCEPTION 'invitation_self';
  END IF;
  IF r.initiated_by = 'doctor' THEN
    IF v_role <> 'patient' OR (r.patient_id IS NOT NULL AND r.patient_id <> v_me) THEN
      RAISE EXCEPTION 'invitation_wrong_role';
    END IF;
    r.patient_id := v_me;
    r.can_view_prescriptions := coalesce(p_can_view_prescriptions, r.can_view_prescriptions);
    r.can_add_notes := coalesce(p_can_add_notes, r.can_add_notes);
    r.can_modify_reminders := coalesce(p_can_modify_reminders, r.can_modify_reminders);
  ELSE
    IF v_role <> 'doctor' OR (r.doctor_id IS NOT NULL AND r.doctor_id <> v_me) THEN
      RAISE EXCEPTION 'invitation_wrong_role';
    END IF;
    r.doctor_id := v_me;
  END IF;
  BEGIN
    RETURN QUERY
    UPDATE doctor_patient_relationships x
       SET doctor_id = r.doctor_id, patient_id = r.patient_id, status = 'active', accepted_at = now(),
           can_view_prescriptions = r.can_view_prescriptions, can_add_notes = r.can_add_notes,
           can_modify_reminders = r.can_modify_reminders
     WHERE x.id = r.id
    RETURNING x.*;
  EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'relationship_exists';
  END;
END
$$;

-- ---------------------------------------------------------------- audit helpers

-- Secrets never reach the audit log: keys that look like passwords, tokens or codes are masked.
CREATE OR REPLACE FUNCTION app_audit_redact(p_values jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN p_values IS NULL OR jsonb_typeof(p_values) <> 'object' THEN p_values
    ELSE (SELECT coalesce(jsonb_object_agg(e.key,
                    CASE WHEN e.key ~* '(password|token|secret|invitation_code|otp)' AND e.value <> 'null'::jsonb
                         THEN '"[REDACTED]"'::jsonb ELSE e.value END), '{}'::jsonb)
          FROM jsonb_each(p_values) AS e) END
$$;

-- sha256 over the personal parts of an audit row (those erasure may blank).
CREATE OR REPLACE FUNCTION app_audit_payload_hash(p_actor uuid, p_subject uuid, p_old jsonb, p_new jsonb, p_ip inet, p_user_agent text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = public, pg_temp
AS $$
  SELECT encode(digest(concat_ws('|', coalesce(p_actor::text, ''), coalesce(p_subject::text, ''),
                                 coalesce(p_old::text, ''), coalesce(p_new::text, ''),
                                 coalesce(host(p_ip), ''), coalesce(p_user_agent, '')), 'sha256'), 'hex')
$$;

-- sha256 over the canonical text of an audit row, chained to the previous row's hash.
CREATE OR REPLACE FUNCTION app_audit_row_hash(p_seq bigint, p_created_at timestamptz, p_actor_role text, p_action text,
                                              p_table_name text, p_resource_id text, p_request_id text,
                                              p_payload_hash text, p_prev_hash text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = public, pg_temp
AS $$
  SELECT encode(digest(concat_ws('|', p_seq::text,
                                 to_char(p_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                                 coalesce(p_actor_role, ''), p_action, coalesce(p_table_name, ''),
                                 coalesce(p_resource_id, ''), coalesce(p_request_id, ''),
                                 p_payload_hash, p_prev_hash), 'sha256'), 'hex')
$$;

-- Checks the whole chain. ok = false names the first row that was edited, inserted or
-- deleted (or the place where rows are missing). For admins, 'system' and direct SQL.
CREATE OR REPLACE FUNCTION app_audit_verify()
RETURNS TABLE (ok boolean, checked_rows bigint, first_bad_seq bigint, problem text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  a audit_logs%ROWTYPE;
  v_prev text := repeat('0', 64);
  v_expected bigint := 1;
  v_count bigint := 0;
  h audit_chain_head%ROWTYPE;
BEGIN
  IF NOT (app_is_admin() OR app_is_system() OR (app_current_user_id() IS NULL AND app_current_role() IS NULL)) THEN
    RAISE EXCEPTION 'permission denied for audit verification' USING ERRCODE = 'insufficient_privilege';
  END IF;
  FOR a IN SELECT * FROM audit_logs ORDER BY seq LOOP
    v_count := v_count + 1;
    IF a.seq <> v_expected THEN
      RETURN QUERY SELECT false, v_count, v_expected, format('rows %s..%s are missing (deleted) or seq was edited', v_expected, a.seq - 1);
      RETURN;
    END IF;
    IF a.prev_hash <> v_prev THEN
      RETURN QUERY SELECT false, v_count, a.seq, 'prev_hash does not match the previous row (a row was deleted, inserted or edited)';
      RETURN;
    END IF;
    IF a.redacted_at IS NULL THEN
      IF a.payload_hash <> app_audit_payload_hash(a.actor_user_id, a.subject_user_id, a.old_values, a.new_values, a.ip_address, a.user_agent) THEN
        RETURN QUERY SELECT false, v_count, a.seq, 'payload (actor, subject, values, ip or user agent) was edited';
        RETURN;
      END IF;
    ELSIF a.actor_user_id IS NOT NULL OR a.subject_user_id IS NOT NULL OR a.old_values IS NOT NULL
          OR a.new_values IS NOT NULL OR a.ip_address IS NOT NULL OR a.user_agent IS NOT NULL THEN
      RETURN QUERY SELECT false, v_count, a.seq, 'a redacted row carries personal data again (edited)';
      RETURN;
    END IF;
    IF a.row_hash <> app_audit_row_hash(a.seq, a.created_at, a.actor_role, a.action, a.table_name, a.resource_id,
                                        a.request_id, a.payload_hash, a.prev_hash) THEN
      RETURN QUERY SELECT false, v_count, a.seq, 'row content (time, role, action, table, resource) was edited';
      RETURN;
    END IF;
    v_prev := a.row_hash;
    v_expected := v_expected + 1;
  END LOOP;
  SELECT * INTO h FROM audit_chain_head WHERE id = 1;
  IF h.last_seq <> v_expected - 1 OR h.last_hash <> v_prev THEN
    RETURN QUERY SELECT false, v_count, v_expected, format('the chain head says %s rows; the last rows were deleted', h.last_seq);
    RETURN;
  END IF;
  RETURN QUERY SELECT true, v_count, NULL::bigint, NULL::text;
END
$$;

-- Erasure: forget a user in the audit trail. Nulls the user's id where she is actor or subject
-- and blanks the personal payload of those rows (values, IP, user agent); the chain stays
-- verifiable (payload_hash is kept). For the user herself, admins and 'system'. Returns rows touched.
CREATE OR REPLACE FUNCTION app_audit_erase_user(p_user_id uuid) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_n integer;
BEGIN
  IF NOT (app_current_user_id() = p_user_id OR app_is_admin() OR app_is_system()
          OR (app_current_user_id() IS NULL AND app_current_role() IS NULL)) THEN
    RAISE EXCEPTION 'permission denied to erase another user''s audit trail' USING ERRCODE = 'insufficient_privilege';
  END IF;
  UPDATE audit_logs
     SET actor_user_id = NULL, subject_user_id = NULL, old_values = NULL, new_values = NULL,
         ip_address = NULL, user_agent = NULL, redacted_at = coalesce(redacted_at, now())
   WHERE actor_user_id = p_user_id OR subject_user_id = p_user_id
      OR (table_name = 'users' AND resource_id = p_user_id::text);
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;

-- The access log of the acting patient: who touched her records (metadata only, never values).
CREATE OR REPLACE FUNCTION app_my_access_log(p_limit integer DEFAULT 100, p_before_seq bigint DEFAULT NULL,
                                             p_include_self boolean DEFAULT false)
RETURNS TABLE (seq bigint, created_at timestamptz, actor_user_id uuid, actor_role text, actor_first_name text,
               actor_last_name text, action text, table_name text, resource_id text, ip_address inet)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT a.seq, a.created_at, a.actor_user_id, a.actor_role, u.first_name, u.last_name,
         a.action, a.table_name, a.resource_id,
         CASE WHEN a.actor_user_id = app_current_user_id() THEN a.ip_address END
  FROM audit_logs a
  LEFT JOIN users u ON u.id = a.actor_user_id
  WHERE app_current_user_id() IS NOT NULL
    AND a.subject_user_id = app_current_user_id()
    AND (p_include_self OR a.actor_user_id IS DISTINCT FROM app_current_user_id())
    AND (p_before_seq IS NULL OR a.seq < p_before_seq)
  ORDER BY a.seq DESC
  LIMIT least(greatest(coalesce(p_limit, 100), 1), 1000)
$$;

-- =============================================================================
-- Trigger functions
-- =============================================================================

CREATE OR REPLACE FUNCTION trg_set_updated_at() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

-- Rejects time zone names PostgreSQL does not know (reminders are computed in them).
CREATE OR REPLACE FUNCTION trg_validate_timezone() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
  PERFORM now() AT TIME ZONE NEW.timezone;
  RETURN NEW;
EXCEPTION WHEN invalid_parameter_value THEN
  RAISE EXCEPTION 'unknown time zone "%"', NEW.timezone USING ERRCODE = 'check_violation';
END
$$;

-- Users: only 'system' (or the owner without context) makes admins; admins change other roles;
-- a user cannot re-activate or un-delete herself. Stamps password_changed_at.
CREATE OR REPLACE FUNCTION trg_users_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
  v_privileged boolean := app_is_system() OR (app_current_user_id() IS NULL AND app_current_role() IS NULL);
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.role = 'admin' AND NOT v_privileged THEN
      RAISE EXCEPTION 'only the system may create an admin' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
    NEW.password_changed_at := now();
  END IF;
  IF v_privileged THEN
    RETURN NEW;
  END IF;
  IF NEW.role IS DISTINCT FROM OLD.role
     AND NOT (app_is_admin() AND NEW.role <> 'admin' AND OLD.role <> 'admin') THEN
    RAISE EXCEPTION 'role change not allowed' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT app_is_admin() THEN
    IF NEW.is_active AND NOT OLD.is_active THEN
      RAISE EXCEPTION 'an account cannot re-activate itself' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL THEN
      RAISE EXCEPTION 'an erased account cannot be restored' USING ERRCODE = 'insufficient_privilege';
    END IF;
  END IF;
  RETURN NEW;
END
$$;

-- Relationships: parties must have the right roles; the doctor side can never grant itself
-- permissions nor (re)activate a relationship, except accepting a patient's invitation;
-- nobody but the patient lifts a block. Stamps accepted_at / ended_at.
CREATE OR REPLACE FUNCTION trg_doctor_patient_relationships_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_me uuid := app_current_user_id();
  v_privileged boolean := app_is_system() OR app_is_admin() OR (v_me IS NULL AND app_current_role() IS NULL);
  v_doctor_side boolean;
BEGIN
  NEW.invitation_code := upper(btrim(NEW.invitation_code));
  IF NEW.doctor_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users WHERE id = NEW.doctor_id AND role = 'doctor') THEN
    RAISE EXCEPTION 'doctor_id must reference a doctor' USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.patient_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users WHERE id = NEW.patient_id AND role = 'patient') THEN
    RAISE EXCEPTION 'patient_id must reference a patient' USING ERRCODE = 'check_violation';
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF (OLD.doctor_id IS NOT NULL AND NEW.doctor_id IS DISTINCT FROM OLD.doctor_id)
       OR (OLD.patient_id IS NOT NULL AND NEW.patient_id IS DISTINCT FROM OLD.patient_id)
       OR NEW.initiated_by IS DISTINCT FROM OLD.initiated_by THEN
      RAISE EXCEPTION 'the parties of a relationship cannot change' USING ERRCODE = 'check_violation';
    END IF;
    IF NOT v_privileged THEN
      v_doctor_side := v_me = NEW.doctor_id;
      IF v_doctor_side THEN
        IF (NEW.can_view_prescriptions AND NOT OLD.can_view_prescriptions)
           OR (NEW.can_add_notes AND NOT OLD.can_add_notes)
           OR (NEW.can_modify_reminders AND NOT OLD.can_modify_reminders) THEN
          RAISE EXCEPTION 'only the patient grants permissions' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
             NEW.status IN ('inactive', 'declined') AND OLD.status IN ('pending', 'active')
             OR (NEW.status = 'active' AND OLD.status = 'pending' AND OLD.initiated_by = 'patient')) THEN
          RAISE EXCEPTION 'status change not allowed for the doctor' USING ERRCODE = 'insufficient_privilege';
        END IF;
      ELSE
        IF NEW.status IS DISTINCT FROM OLD.status AND (
             (NEW.status = 'active' AND NOT (OLD.status = 'pending' AND OLD.initiated_by = 'doctor'))
             OR (NEW.status = 'pending')) THEN
          RAISE EXCEPTION 'status change not allowed' USING ERRCODE = 'insufficient_privilege';
        END IF;
      END IF;
    END IF;
    IF NEW.status = 'active' AND OLD.status <> 'active' AND NEW.accepted_at IS NULL THEN
      NEW.accepted_at := now();
    END IF;
    IF NEW.status IN ('inactive', 'blocked', 'declined') AND OLD.status IN ('pending', 'active') AND NEW.ended_at IS NULL THEN
      NEW.ended_at := now();
    END IF;
  ELSIF NOT v_privileged AND NEW.status <> 'pending' THEN
    RAISE EXCEPTION 'a relationship starts as a pending invitation' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.status = 'active' AND NEW.accepted_at IS NULL THEN
    NEW.accepted_at := now();
  END IF;
  RETURN NEW;
END
$$;

-- Rotation: the old refresh-token hash is remembered so that its reuse is detected.
CREATE OR REPLACE FUNCTION trg_user_sessions_rotate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  IF NEW.refresh_token_hash IS DISTINCT FROM OLD.refresh_token_hash THEN
    INSERT INTO user_session_rotated_tokens (token_hash, session_id, user_id, rotated_at)
    VALUES (OLD.refresh_token_hash, OLD.id, OLD.user_id, now())
    ON CONFLICT (token_hash) DO NOTHING;
    NEW.rotation_count := OLD.rotation_count + 1;
    NEW.rotated_at := now();
  END IF;
  RETURN NEW;
END
$$;

-- Adherence counters on medication_reminders follow the dose logs.
CREATE OR REPLACE FUNCTION trg_medication_reminder_logs_counters() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.reminder_id = OLD.reminder_id THEN
    IF NEW.status IS DISTINCT FROM OLD.status THEN
      UPDATE medication_reminders SET
          taken_count = taken_count + (NEW.status = 'taken')::int - (OLD.status = 'taken')::int,
          missed_count = missed_count + (NEW.status = 'missed')::int - (OLD.status = 'missed')::int,
          skipped_count = skipped_count + (NEW.status = 'skipped')::int - (OLD.status = 'skipped')::int
      WHERE id = NEW.reminder_id;
    END IF;
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE medication_reminders SET
        total_doses = total_doses - 1,
        taken_count = taken_count - (OLD.status = 'taken')::int,
        missed_count = missed_count - (OLD.status = 'missed')::int,
        skipped_count = skipped_count - (OLD.status = 'skipped')::int
    WHERE id = OLD.reminder_id;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    UPDATE medication_reminders SET
        total_doses = total_doses + 1,
        taken_count = taken_count + (NEW.status = 'taken')::int,
        missed_count = missed_count + (NEW.status = 'missed')::int,
        skipped_count = skipped_count + (NEW.status = 'skipped')::int
    WHERE id = NEW.reminder_id;
  END IF;
  RETURN NULL;
END
$$;

-- Writes one audit row per inserted/updated/deleted row. TG_ARGV[0]: the column naming the
-- data subject (patient_id, user_id, id) or ''; further arguments: columns whose changes
-- alone are operational noise (no audit row). Updates record only the changed columns.
CREATE OR REPLACE FUNCTION trg_audit_row_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_old jsonb;
  v_new jsonb;
  v_row jsonb;
  v_ignored text[] := ARRAY['updated_at'];
  v_subject text;
  i integer;
BEGIN
  FOR i IN 1 .. TG_NARGS - 1 LOOP
    v_ignored := v_ignored || TG_ARGV[i];
  END LOOP;
  IF TG_OP = 'INSERT' THEN
    v_new := to_jsonb(NEW);
    v_row := v_new;
  ELSIF TG_OP = 'DELETE' THEN
    v_old := to_jsonb(OLD);
    v_row := v_old;
  ELSE
    v_row := to_jsonb(NEW);
    SELECT jsonb_object_agg(o.key, o.value), jsonb_object_agg(n.key, n.value)
      INTO v_old, v_new
      FROM jsonb_each(to_jsonb(OLD)) AS o
      JOIN jsonb_each(v_row) AS n ON n.key = o.key
     WHERE n.value IS DISTINCT FROM o.value AND NOT (n.key = ANY (v_ignored));
    IF v_new IS NULL THEN
      RETURN NULL;  -- nothing but operational columns changed
    END IF;
  END IF;
  IF TG_NARGS > 0 AND TG_ARGV[0] <> '' THEN
    v_subject := v_row ->> TG_ARGV[0];
  END IF;
  INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id, subject_user_id,
                          old_values, new_values, ip_address, user_agent)
  VALUES (app_current_user_id(), app_current_role(), lower(TG_OP), TG_TABLE_NAME, v_row ->> 'id', v_subject::uuid,
          app_audit_redact(v_old), app_audit_redact(v_new), app_client_ip(),
          left(nullif(current_setting('app.user_agent', true), ''), 1024));
  RETURN NULL;
END
$$;

-- Seals every new audit row into the chain (runs for the service's own inserts too).
CREATE OR REPLACE FUNCTION trg_audit_logs_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  h audit_chain_head%ROWTYPE;
BEGIN
  -- the row lock serialises writers until commit, so seq follows commit order
  SELECT * INTO h FROM audit_chain_head WHERE id = 1 FOR UPDATE;
  NEW.seq := h.last_seq + 1;
  NEW.prev_hash := h.last_hash;
  NEW.created_at := clock_timestamp();
  NEW.redacted_at := NULL;
  NEW.old_values := app_audit_redact(NEW.old_values);
  NEW.new_values := app_audit_redact(NEW.new_values);
  NEW.payload_hash := app_audit_payload_hash(NEW.actor_user_id, NEW.subject_user_id, NEW.old_values, NEW.new_values,
                                             NEW.ip_address, NEW.user_agent);
  NEW.row_hash := app_audit_row_hash(NEW.seq, NEW.created_at, NEW.actor_role, NEW.action, NEW.table_name,
                                     NEW.resource_id, NEW.request_id, NEW.payload_hash, NEW.prev_hash);
  UPDATE audit_chain_head SET last_seq = NEW.seq, last_hash = NEW.row_hash, updated_at = NEW.created_at WHERE id = 1;
  RETURN NEW;
END
$$;

-- =============================================================================
-- Triggers
-- =============================================================================
CREATE TRIGGER set_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON user_sessions FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON user_session_rotated_tokens FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON subscription_plans FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON user_subscriptions FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON payment_transactions FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON prescriptions FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON medications FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON medication_reminders FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON medication_reminder_logs FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON doctor_patient_relationships FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON clinical_notes FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON ai_chat_conversations FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON ai_chat_messages FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON ai_reports FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON notifications FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON usage_analytics FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();

CREATE TRIGGER validate_timezone BEFORE INSERT OR UPDATE OF timezone ON users
    FOR EACH ROW EXECUTE FUNCTION trg_validate_timezone();
CREATE TRIGGER validate_timezone BEFORE INSERT OR UPDATE OF timezone ON medication_reminders
    FOR EACH ROW EXECUTE FUNCTION trg_validate_timezone();

CREATE TRIGGER users_guard BEFORE INSERT OR UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION trg_users_guard();
CREATE TRIGGER doctor_patient_relationships_guard BEFORE INSERT OR UPDATE ON doctor_patient_relationships
    FOR EACH ROW EXECUTE FUNCTION trg_doctor_patient_relationships_guard();
CREATE TRIGGER user_sessions_rotate BEFORE UPDATE OF refresh_token_hash ON user_sessions
    FOR EACH ROW EXECUTE FUNCTION trg_user_sessions_rotate();
CREATE TRIGGER medication_reminder_logs_counters AFTER INSERT OR UPDATE OR DELETE ON medication_reminder_logs
    FOR EACH ROW EXECUTE FUNCTION trg_medication_reminder_logs_counters();
CREATE TRIGGER audit_logs_chain BEFORE INSERT ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION trg_audit_logs_chain();

-- Audit trail of sensitive tables (first argument: the data subject's column; the rest: noise columns).
CREATE TRIGGER audit_row_change AFTER INSERT OR UPDATE OR DELETE ON users FOR EACH ROW
    EXECUTE FUNCTION trg_audit_row_change('id', 'failed_login_count', 'failed_login_window_start', 'locked_until', 'last_login_at');
CREATE TRIGGER audit_row_change AFTER INSERT OR UPDATE OR DELETE ON user_sessions FOR EACH ROW
    EXECUTE FUNCTION trg_audit_row_change('user_id', 'refresh_token_hash', 'rotation_count', 'rotated_at', 'last_used_at', 'expires_at');
CREATE TRIGGER audit_row_change AFTER INSERT OR UPDATE OR DELETE ON prescriptions FOR EACH ROW
    EXECUTE FUNCTION trg_audit_row_change('patient_id', 'processing_attempts', 'processing_started_at');
CREATE TRIGGER audit_row_change AFTER INSERT OR UPDATE OR DELETE ON medications FOR EACH ROW
    EXECUTE FUNCTION trg_audit_row_change('patient_id');
CREATE TRIGGER audit_row_change AFTER INSERT OR UPDATE OR DELETE ON medication_reminders FOR EACH ROW
    EXECUTE FUNCTION trg_audit_row_change('patient_id', 'next_reminder_at', 'last_dispatched_at', 'total_doses',
                                          'taken_count', 'missed_count', 'skipped_count', 'adherence_rate');
CREATE TRIGGER audit_row_change AFTER INSERT OR UPDATE OR DELETE ON doctor_patient_relationships FOR EACH ROW
    EXECUTE FUNCTION trg_audit_row_change('patient_id');
CREATE TRIGGER audit_row_change AFTER INSERT OR UPDATE OR DELETE ON clinical_notes FOR EACH ROW
    EXECUTE FUNCTION trg_audit_row_change('patient_id');
CREATE TRIGGER audit_row_change AFTER INSERT OR UPDATE OR DELETE ON user_subscriptions FOR EACH ROW
    EXECUTE FUNCTION trg_audit_row_change('user_id');
CREATE TRIGGER audit_row_change AFTER INSERT OR UPDATE OR DELETE ON payment_transactions FOR EACH ROW
    EXECUTE FUNCTION trg_audit_row_change('user_id');
CREATE TRIGGER audit_row_change AFTER INSERT OR UPDATE OR DELETE ON ai_reports FOR EACH ROW
    EXECUTE FUNCTION trg_audit_row_change('user_id');

-- =============================================================================
-- Views (security_invoker: they see exactly what the caller's RLS lets through)
-- =============================================================================

-- A user's profile with the current subscription (never the password hash).
CREATE VIEW v_user_profiles WITH (security_invoker = true) AS
SELECT u.id, u.email, u.role, u.first_name, u.last_name, u.first_name || ' ' || u.last_name AS full_name,
       u.phone, u.language, u.timezone, u.notification_preferences, u.dose_schedule_template,
       u.date_of_birth, u.gender, u.medical_conditions, u.allergies,
       u.emergency_contact_name, u.emergency_contact_phone, u.emergency_contact_relationship,
       u.license_number, u.specialization, u.hospital_name,
       u.is_active, u.email_verified_at, u.last_login_at, u.deleted_at, u.created_at, u.updated_at,
       s.id AS subscription_id, s.status AS subscription_status,
       s.current_period_start, s.current_period_end, s.cancel_at_period_end,
       pl.code AS plan_code, pl.name AS plan_name,
       coalesce(pl.tier, 'free'::subscription_tier) AS subscription_tier,
       coalesce(pl.tier = 'premium' AND s.status IN ('active', 'trialing')
                AND s.current_period_start <= now() AND s.current_period_end > now(), false) AS is_premium,
       pl.limits AS plan_limits
FROM users u
LEFT JOIN LATERAL (
    SELECT us.* FROM user_subscriptions us
    WHERE us.user_id = u.id AND us.status IN ('trialing', 'active', 'past_due')
    ORDER BY us.current_period_end DESC
    LIMIT 1) AS s ON true
LEFT JOIN subscription_plans pl ON pl.id = s.plan_id;

-- One row per prescription with its medication and reminder counts.
CREATE VIEW v_prescription_summaries WITH (security_invoker = true) AS
SELECT p.id, p.patient_id, p.status, p.hospital_name, p.prescription_number, p.prescription_date,
       p.prescribing_doctor_name, p.pharmacy_name, p.department, p.diagnosis, p.ocr_confidence,
       p.error_message, p.created_at, p.processed_at, p.confirmed_at, p.archived_at, p.deleted_at,
       coalesce(m.medication_count, 0) AS medication_count,
       coalesce(m.active_medication_count, 0) AS active_medication_count,
       coalesce(r.active_reminder_count, 0) AS active_reminder_count,
       m.medication_names
FROM prescriptions p
LEFT JOIN LATERAL (
    SELECT count(*) AS medication_count,
           count(*) FILTER (WHERE med.is_active) AS active_medication_count,
           array_agg(med.name ORDER BY med.sequence) AS medication_names
    FROM medications med WHERE med.prescription_id = p.id) AS m ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS active_reminder_count
    FROM medications med JOIN medication_reminders rem ON rem.medication_id = med.id
    WHERE med.prescription_id = p.id AND rem.is_active) AS r ON true;

-- Adherence per medication, from the reminders' counters.
CREATE VIEW v_medication_adherence WITH (security_invoker = true) AS
SELECT m.id AS medication_id, m.patient_id, m.prescription_id, m.name, m.strength, m.is_active,
       coalesce(sum(r.total_doses), 0)::integer AS total_doses,
       coalesce(sum(r.taken_count), 0)::integer AS taken_count,
       coalesce(sum(r.missed_count), 0)::integer AS missed_count,
       coalesce(sum(r.skipped_count), 0)::integer AS skipped_count,
       CASE WHEN coalesce(sum(r.taken_count + r.missed_count + r.skipped_count), 0) = 0 THEN NULL
            ELSE round(100.0 * sum(r.taken_count) / sum(r.taken_count + r.missed_count + r.skipped_count), 2)
       END AS adherence_rate
FROM medications m
LEFT JOIN medication_reminders r ON r.medication_id = m.id
GROUP BY m.id, m.patient_id, m.prescription_id, m.name, m.strength, m.is_active;

-- Relationships with both parties' names (what each side may see of the other follows users' RLS).
CREATE VIEW v_care_relationships WITH (security_invoker = true) AS
SELECT r.id, r.doctor_id, r.patient_id, r.status, r.initiated_by, r.invitation_expires_at,
       r.accepted_at, r.ended_at, r.end_reason,
       r.can_view_prescriptions, r.can_add_notes, r.can_modify_reminders, r.created_at, r.updated_at,
       d.first_name AS doctor_first_name, d.last_name AS doctor_last_name,
       d.specialization AS doctor_specialization, d.hospital_name AS doctor_hospital_name,
       p.first_name AS patient_first_name, p.last_name AS patient_last_name
FROM doctor_patient_relationships r
LEFT JOIN users d ON d.id = r.doctor_id
LEFT JOIN users p ON p.id = r.patient_id;

-- =============================================================================
-- Row level security. U = (select app_current_user_id()). No context: no rows.
-- =============================================================================
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
ALTER TABLE user_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_sessions FORCE ROW LEVEL SECURITY;
ALTER TABLE user_session_rotated_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_session_rotated_tokens FORCE ROW LEVEL SECURITY;
ALTER TABLE user_subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_subscriptions FORCE ROW LEVEL SECURITY;
ALTER TABLE payment_transactions ENABLE ROW LEVEL SECURITY;
ALTER TABLE payment_transactions FORCE ROW LEVEL SECURITY;
ALTER TABLE prescriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE prescriptions FORCE ROW LEVEL SECURITY;
ALTER TABLE medications ENABLE ROW LEVEL SECURITY;
ALTER TABLE medications FORCE ROW LEVEL SECURITY;
ALTER TABLE medication_reminders ENABLE ROW LEVEL SECURITY;
ALTER TABLE medication_reminders FORCE ROW LEVEL SECURITY;
ALTER TABLE medication_reminder_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE medication_reminder_logs FORCE ROW LEVEL SECURITY;
ALTER TABLE doctor_patient_relationships ENABLE ROW LEVEL SECURITY;
ALTER TABLE doctor_patient_relationships FORCE ROW LEVEL SECURITY;
ALTER TABLE clinical_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinical_notes FORCE ROW LEVEL SECURITY;
ALTER TABLE ai_chat_conversations ENABLE ROW LEVEL SECURITY;
ALTER TABLE ai_chat_conversations FORCE ROW LEVEL SECURITY;
ALTER TABLE ai_chat_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE ai_chat_messages FORCE ROW LEVEL SECURITY;
ALTER TABLE ai_reports ENABLE ROW LEVEL SECURITY;
ALTER TABLE ai_reports FORCE ROW LEVEL SECURITY;
ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE notifications FORCE ROW LEVEL SECURITY;
ALTER TABLE usage_analytics ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_analytics FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_logs FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_chain_head ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_chain_head FORCE ROW LEVEL SECURITY;
-- subscription_plans is public reference data (read-only for the service): no RLS.

-- users: herself, admins, 'system', and the other side of a relationship
-- (a patient sees her doctors' rows for pending/active links; a doctor his ACTIVE patients').
CREATE POLICY users_select ON users FOR SELECT USING (
    id = (SELECT app_current_user_id()) OR (SELECT app_is_admin()) OR (SELECT app_is_system())
    OR id = ANY ((SELECT app_related_user_ids())::uuid[]));
-- self-registration: the service sets app.user_id to the new (app-generated) id first
CREATE POLICY users_insert ON users FOR INSERT WITH CHECK (
    (id = (SELECT app_current_user_id()) AND role IN ('patient', 'doctor'))
    OR (SELECT app_is_admin()) OR (SELECT app_is_system()));
CREATE POLICY users_update ON users FOR UPDATE
    USING (id = (SELECT app_current_user_id()) OR (SELECT app_is_admin()) OR (SELECT app_is_system()))
    WITH CHECK (id = (SELECT app_current_user_id()) OR (SELECT app_is_admin()) OR (SELECT app_is_system()));
CREATE POLICY users_delete ON users FOR DELETE USING (
    id = (SELECT app_current_user_id()) OR (SELECT app_is_admin()) OR (SELECT app_is_system()));

-- sessions: the owner (logout, device list), admins (deactivation), 'system' (cleanup)
CREATE POLICY user_sessions_all ON user_sessions FOR ALL
    USING (user_id = (SELECT app_current_user_id()) OR (SELECT app_is_admin()) OR (SELECT app_is_system()))
    WITH CHECK (user_id = (SELECT app_current_user_id()) OR (SELECT app_is_admin()) OR (SELECT app_is_system()));
CREATE POLICY user_session_rotated_tokens_select ON user_session_rotated_tokens FOR SELECT
    USING (user_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));

-- subscriptions and payments: read by the owner and admins; written by billing ('system') and admins
CREATE POLICY user_subscriptions_select ON user_subscriptions FOR SELECT USING (
    user_id = (SELECT app_current_user_id()) OR (SELECT app_is_admin()) OR (SELECT app_is_system()));
CREATE POLICY user_subscriptions_write ON user_subscriptions FOR ALL
    USING ((SELECT app_is_admin()) OR (SELECT app_is_system()))
    WITH CHECK ((SELECT app_is_admin()) OR (SELECT app_is_system()));
CREATE POLICY payment_transactions_select ON payment_transactions FOR SELECT USING (
    user_id = (SELECT app_current_user_id()) OR (SELECT app_is_admin()) OR (SELECT app_is_system()));
CREATE POLICY payment_transactions_write ON payment_transactions FOR ALL
    USING ((SELECT app_is_admin()) OR (SELECT app_is_system()))
    WITH CHECK ((SELECT app_is_admin()) OR (SELECT app_is_system()));

-- prescriptions: the patient; her doctors with can_view_prescriptions (not deleted ones); admins read; 'system'
CREATE POLICY prescriptions_select ON prescriptions FOR SELECT USING (
    patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_admin()) OR (SELECT app_is_system())
    OR (deleted_at IS NULL AND patient_id = ANY ((SELECT app_doctor_patient_ids('view_prescriptions'))::uuid[])));
CREATE POLICY prescriptions_insert ON prescriptions FOR INSERT WITH CHECK (
    (patient_id = (SELECT app_current_user_id()) AND (uploaded_by IS NULL OR uploaded_by = (SELECT app_current_user_id())))
    OR (SELECT app_is_system()));
CREATE POLICY prescriptions_update ON prescriptions FOR UPDATE
    USING (patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()))
    WITH CHECK (patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));
CREATE POLICY prescriptions_delete ON prescriptions FOR DELETE USING (
    patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));

-- medications follow the patient
CREATE POLICY medications_select ON medications FOR SELECT USING (
    patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_admin()) OR (SELECT app_is_system())
    OR patient_id = ANY ((SELECT app_doctor_patient_ids('view_prescriptions'))::uuid[]));
CREATE POLICY medications_write ON medications FOR ALL
    USING (patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()))
    WITH CHECK (patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));

-- reminders: the patient; doctors read with can_view_prescriptions, change with can_modify_reminders
CREATE POLICY medication_reminders_select ON medication_reminders FOR SELECT USING (
    patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_admin()) OR (SELECT app_is_system())
    OR patient_id = ANY ((SELECT app_doctor_patient_ids('view_prescriptions'))::uuid[])
    OR patient_id = ANY ((SELECT app_doctor_patient_ids('modify_reminders'))::uuid[]));
CREATE POLICY medication_reminders_insert ON medication_reminders FOR INSERT WITH CHECK (
    patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_system())
    OR patient_id = ANY ((SELECT app_doctor_patient_ids('modify_reminders'))::uuid[]));
CREATE POLICY medication_reminders_update ON medication_reminders FOR UPDATE
    USING (patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_system())
           OR patient_id = ANY ((SELECT app_doctor_patient_ids('modify_reminders'))::uuid[]))
    WITH CHECK (patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_system())
           OR patient_id = ANY ((SELECT app_doctor_patient_ids('modify_reminders'))::uuid[]));
CREATE POLICY medication_reminders_delete ON medication_reminders FOR DELETE USING (
    patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));

-- dose logs: the patient (taken/skipped/snoozed) and 'system' (dispatcher); doctors read
CREATE POLICY medication_reminder_logs_select ON medication_reminder_logs FOR SELECT USING (
    patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_admin()) OR (SELECT app_is_system())
    OR patient_id = ANY ((SELECT app_doctor_patient_ids('view_prescriptions'))::uuid[]));
CREATE POLICY medication_reminder_logs_write ON medication_reminder_logs FOR ALL
    USING (patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()))
    WITH CHECK (patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));

-- relationships: either party, admins, 'system'; the guard trigger polices the transitions
CREATE POLICY doctor_patient_relationships_select ON doctor_patient_relationships FOR SELECT USING (
    doctor_id = (SELECT app_current_user_id()) OR patient_id = (SELECT app_current_user_id())
    OR (SELECT app_is_admin()) OR (SELECT app_is_system()));
CREATE POLICY doctor_patient_relationships_insert ON doctor_patient_relationships FOR INSERT WITH CHECK (
    (initiated_by = 'doctor' AND doctor_id = (SELECT app_current_user_id()) AND (SELECT app_current_role()) = 'doctor')
    OR (initiated_by = 'patient' AND patient_id = (SELECT app_current_user_id()) AND (SELECT app_current_role()) = 'patient')
    OR (SELECT app_is_admin()) OR (SELECT app_is_system()));
CREATE POLICY doctor_patient_relationships_update ON doctor_patient_relationships FOR UPDATE
    USING (doctor_id = (SELECT app_current_user_id()) OR patient_id = (SELECT app_current_user_id())
           OR (SELECT app_is_admin()) OR (SELECT app_is_system()))
    WITH CHECK (doctor_id = (SELECT app_current_user_id()) OR patient_id = (SELECT app_current_user_id())
           OR (SELECT app_is_admin()) OR (SELECT app_is_system()));
CREATE POLICY doctor_patient_relationships_delete ON doctor_patient_relationships FOR DELETE USING (
    (status = 'pending' AND (doctor_id = (SELECT app_current_user_id()) OR patient_id = (SELECT app_current_user_id())))
    OR (SELECT app_is_admin()) OR (SELECT app_is_system()));

-- clinical notes: the author always; the patient unless private; admins read; new notes need can_add_notes
CREATE POLICY clinical_notes_select ON clinical_notes FOR SELECT USING (
    doctor_id = (SELECT app_current_user_id())
    OR (patient_id = (SELECT app_current_user_id()) AND NOT is_private)
    OR (SELECT app_is_admin()) OR (SELECT app_is_system()));
CREATE POLICY clinical_notes_insert ON clinical_notes FOR INSERT WITH CHECK (
    (doctor_id = (SELECT app_current_user_id()) AND patient_id = ANY ((SELECT app_doctor_patient_ids('add_notes'))::uuid[]))
    OR (SELECT app_is_system()));
CREATE POLICY clinical_notes_update ON clinical_notes FOR UPDATE
    USING (doctor_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()))
    WITH CHECK ((doctor_id = (SELECT app_current_user_id()) AND patient_id = ANY ((SELECT app_doctor_patient_ids('add_notes'))::uuid[]))
                OR (SELECT app_is_system()));
CREATE POLICY clinical_notes_delete ON clinical_notes FOR DELETE USING (
    doctor_id = (SELECT app_current_user_id()) OR (SELECT app_is_admin()) OR (SELECT app_is_system()));

-- AI chat: the owner only (not even admins or 'system')
CREATE POLICY ai_chat_conversations_owner ON ai_chat_conversations FOR ALL
    USING (user_id = (SELECT app_current_user_id()))
    WITH CHECK (user_id = (SELECT app_current_user_id()));
CREATE POLICY ai_chat_messages_owner ON ai_chat_messages FOR ALL
    USING (user_id = (SELECT app_current_user_id()))
    WITH CHECK (user_id = (SELECT app_current_user_id()));
-- AI reports: the owner; 'system' (the report job)
CREATE POLICY ai_reports_owner ON ai_reports FOR ALL
    USING (user_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()))
    WITH CHECK (user_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));

-- notifications: the owner reads and marks read; created for oneself, for the other party of a
-- pending/active relationship (invitations, notes), by admins and by 'system' (dispatcher)
CREATE POLICY notifications_select ON notifications FOR SELECT USING (
    user_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));
CREATE POLICY notifications_insert ON notifications FOR INSERT WITH CHECK (
    user_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()) OR (SELECT app_is_admin())
    OR user_id = ANY ((SELECT app_notifiable_user_ids())::uuid[]));
CREATE POLICY notifications_update ON notifications FOR UPDATE
    USING (user_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()))
    WITH CHECK (user_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));
CREATE POLICY notifications_delete ON notifications FOR DELETE USING (
    user_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));

-- usage analytics: anyone records events about herself (or anonymous ones); admins and 'system' read
CREATE POLICY usage_analytics_insert ON usage_analytics FOR INSERT WITH CHECK (
    user_id IS NULL OR user_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));
CREATE POLICY usage_analytics_select ON usage_analytics FOR SELECT USING (
    (SELECT app_is_admin()) OR (SELECT app_is_system()));

-- audit: the service appends (as itself or anonymously; the chain trigger fills seq and hashes);
-- only admins read; nobody updates or deletes (no policy and no grant)
CREATE POLICY audit_logs_insert ON audit_logs FOR INSERT WITH CHECK (
    actor_user_id IS NULL OR actor_user_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));
CREATE POLICY audit_logs_select ON audit_logs FOR SELECT USING ((SELECT app_is_admin()));

-- =============================================================================
-- Privileges of the service role
-- =============================================================================
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO dastern_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON
    users, user_sessions, user_subscriptions, payment_transactions, prescriptions, medications,
    medication_reminders, medication_reminder_logs, doctor_patient_relationships, clinical_notes,
    ai_chat_conversations, ai_chat_messages, ai_reports, notifications
    TO dastern_app;
GRANT SELECT ON subscription_plans, user_session_rotated_tokens TO dastern_app;
GRANT SELECT, INSERT ON usage_analytics TO dastern_app;
GRANT SELECT, INSERT ON audit_logs TO dastern_app;   -- never UPDATE or DELETE
GRANT SELECT ON v_user_profiles, v_prescription_summaries, v_medication_adherence, v_care_relationships TO dastern_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO dastern_app;

-- Functions that cross RLS are not for everybody on the cluster: only the service may call them.
REVOKE ALL ON FUNCTION app_is_admin(), app_doctor_patient_ids(text), app_doctor_can(uuid, text),
    app_related_user_ids(), app_notifiable_user_ids(), app_can_act_for(uuid),
    app_auth_find_user(text), app_auth_record_login_failure(uuid, integer, interval, interval),
    app_auth_record_login_success(uuid), app_session_by_refresh_hash(text),
    app_session_rotate(text, text, timestamptz), app_find_invitation(text),
    app_accept_invitation(text, boolean, boolean, boolean), app_audit_verify(), app_audit_erase_user(uuid),
    app_my_access_log(integer, bigint, boolean)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_current_user_id(), app_current_role(), app_is_system(), app_client_ip(),
    app_is_admin(), app_doctor_patient_ids(text), app_doctor_can(uuid, text),
    app_related_user_ids(), app_notifiable_user_ids(), app_can_act_for(uuid),
    app_auth_find_user(text), app_auth_record_login_failure(uuid, integer, interval, interval),
    app_auth_record_login_success(uuid), app_session_by_refresh_hash(text),
    app_session_rotate(text, text, timestamptz), app_find_invitation(text),
    app_accept_invitation(text, boolean, boolean, boolean), app_audit_redact(jsonb),
    app_audit_payload_hash(uuid, uuid, jsonb, jsonb, inet, text),
    app_audit_row_hash(bigint, timestamptz, text, text, text, text, text, text, text),
    app_audit_verify(), app_audit_erase_user(uuid), app_my_access_log(integer, bigint, boolean)
    TO dastern_app;

-- =============================================================================
-- Reference data: subscription plans (Free: 10 prescriptions, no AI; Premium: $0.50/month
-- or $5.00/year with 100 AI requests a month)
-- =============================================================================
INSERT INTO subscription_plans (id, code, name, description, tier, price_amount, currency, billing_period, limits, features, sort_order)
VALUES
  ('00000000-0000-4000-8000-000000000001', 'free', 'Free', 'Up to 10 prescriptions, reminders, doctor sharing',
   'free', 0.00, 'USD', 'month', '{"max_prescriptions": 10, "ai_requests_per_month": 0}',
   '["prescription_scan", "reminders", "doctor_sharing"]', 1),
  ('00000000-0000-4000-8000-000000000002', 'premium_monthly', 'Premium (monthly)', 'Unlimited prescriptions and the AI assistant',
   'premium', 0.50, 'USD', 'month', '{"max_prescriptions": null, "ai_requests_per_month": 100}',
   '["prescription_scan", "reminders", "doctor_sharing", "ai_chat", "ai_reports", "ocr_correction", "risk_alerts"]', 2),
  ('00000000-0000-4000-8000-000000000003', 'premium_yearly', 'Premium (yearly)', 'Unlimited prescriptions and the AI assistant, billed yearly',
   'premium', 5.00, 'USD', 'year', '{"max_prescriptions": null, "ai_requests_per_month": 100}',
   '["prescription_scan", "reminders", "doctor_sharing", "ai_chat", "ai_reports", "ocr_correction", "risk_alerts"]', 3)
ON CONFLICT (code) DO NOTHING;
-- >>> migrations/003_api_support.sql (verbatim up part; keep identical)
-- 003_api_support.sql — what the HTTP API (issue 4) needs beyond 001/002.
--   * live notifications: every new notification NOTIFYs channel dastern_notifications with
--     its id and owner only (never its text); each API process LISTENs and fans it out to the
--     owner's Server-Sent-Events streams, which fetch the row under the owner's RLS context.
--   * app_decline_invitation(code): the invited side is not yet a party of the pending row,
--     so RLS cannot let it decline; this SECURITY DEFINER function does, with the same checks
--     as app_accept_invitation.

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

-- Decline an invitation by code as the acting user (app.user_id), who must have the role of
-- the invited side. The decliner becomes the row's other party (a declined row names both).
-- Errors (SQLSTATE P0001, message = stable code): invitation_not_found, invitation_expired,
-- invitation_wrong_role, invitation_self. Returns the relationship id.
CREATE OR REPLACE FUNCTION app_decline_invitation(p_code text) RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_me uuid := app_current_user_id();
  v_role user_role;
  r doctor_patient_relationships%ROWTYPE;
BEGIN
  IF v_me IS NULL THEN
    RAISE EXCEPTION 'invitation_not_found';
  END IF;
  SELECT u.role INTO v_role FROM users u WHERE u.id = v_me AND u.is_active AND u.deleted_at IS NULL;
  SELECT * INTO r FROM doctor_patient_relationships x
  WHERE x.invitation_code = upper(btrim(p_code)) AND x.status = 'pending'
  FOR UPDATE;
  IF NOT FOUND OR v_role IS NULL THEN
    RAISE EXCEPTION 'invitation_not_found';
  END IF;
  IF v_me = r.doctor_id AND r.initiated_by = 'doctor' OR v_me = r.patient_id AND r.initiated_by = 'patient' THEN
    RAISE EXCEPTION 'invitation_self';
  END IF;
  IF r.invitation_expires_at IS NOT NULL AND r.invitation_expires_at <= now() THEN
    RAISE EXCEPTION 'invitation_expired';
  END IF;
  IF r.initiated_by = 'doctor' THEN
    IF v_role <> 'patient' OR (r.patient_id IS NOT NULL AND r.patient_id <> v_me) THEN
      RAISE EXCEPTION 'invitation_wrong_role';
    END IF;
    r.patient_id := v_me;
  ELSE
    IF v_role <> 'doctor' OR (r.doctor_id IS NOT NULL AND r.doctor_id <> v_me) THEN
      RAISE EXCEPTION 'invitation_wrong_role';
    END IF;
    r.doctor_id := v_me;
  END IF;
  UPDATE doctor_patient_relationships x
     SET doctor_id = r.doctor_id, patient_id = r.patient_id, status = 'declined', end_reason = 'declined'
   WHERE x.id = r.id;
  RETURN r.id;
END
$$;

REVOKE ALL ON FUNCTION app_decline_invitation(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_decline_invitation(text) TO dastern_app;

-- >>> migrations/005_service_role_no_context.sql (verbatim up part; keep identical)
-- 005_service_role_no_context.sql — "no context" means "the owner in psql" only, never the service.
--
-- Several checks let a transaction WITHOUT app.user_id / app.user_role through, meaning the owner
-- running SQL by hand (psql, `dastern audit verify`). But the service (login dastern_app) runs
-- login, refresh and password reset in exactly such a transaction, so without this migration it
-- could, with no one signed in, create an admin, verify or erase the audit trail, or read any
-- user's subscription and quota. Now the exemption needs app_is_direct_sql(): no context AND a
-- session whose LOGIN (session_user: SET ROLE and SECURITY DEFINER do not change it) is a
-- superuser or BYPASSRLS role that is not dastern_app nor a member of it. With no context the
-- service can only call the signed-out functions (app_auth_*, app_session_*); RLS shows it nothing.

-- Is the session's login a trusted operator rather than the service? pg_has_role() says yes for
-- every role when asked about a superuser, so membership of dastern_app is checked for others only.
CREATE OR REPLACE FUNCTION app_is_owner_session() RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce((
    SELECT r.rolname <> 'dastern_app'
       AND (r.rolsuper OR (r.rolbypassrls AND NOT pg_has_role(r.oid, 'dastern_app', 'MEMBER')))
    FROM pg_roles r
    WHERE r.rolname = session_user), false)
$$;

-- Direct SQL without any context by a trusted operator (the owner in psql, the CLI's owner
-- connection): the only case in which "no context" is privileged.
CREATE OR REPLACE FUNCTION app_is_direct_sql() RETURNS boolean
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
  SELECT app_current_user_id() IS NULL AND app_current_role() IS NULL AND app_is_owner_session()
$$;

-- May the caller act on p_user_id's account-level data (quota and subscription checks)?
-- Yes for the user herself, admins, 'system', a doctor with an active relationship, and
-- direct SQL by the owner without any context (never the service's login: see app_is_direct_sql).
CREATE OR REPLACE FUNCTION app_can_act_for(p_user_id uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT coalesce(app_is_direct_sql()
      OR app_current_user_id() = p_user_id
      OR app_is_system()
      OR app_is_admin()
      OR app_doctor_can(p_user_id, 'any'), false)
$$;

-- Checks the whole chain (unchanged but for who may run it: admins, 'system', and direct SQL
-- by the owner; the service without a context gets insufficient_privilege).
CREATE OR REPLACE FUNCTION app_audit_verify()
RETURNS TABLE (ok boolean, checked_rows bigint, first_bad_seq bigint, problem text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  a audit_logs%ROWTYPE;
  v_prev text := repeat('0', 64);
  v_expected bigint := 1;
  v_count bigint := 0;
  h audit_chain_head%ROWTYPE;
BEGIN
  IF NOT (app_is_admin() OR app_is_system() OR app_is_direct_sql()) THEN
    RAISE EXCEPTION 'permission denied for audit verification' USING ERRCODE = 'insufficient_privilege';
  END IF;
  FOR a IN SELECT * FROM audit_logs ORDER BY seq LOOP
    v_count := v_count + 1;
    IF a.seq <> v_expected THEN
      RETURN QUERY SELECT false, v_count, v_expected, format('rows %s..%s are missing (deleted) or seq was edited', v_expected, a.seq - 1);
      RETURN;
    END IF;
    IF a.prev_hash <> v_prev THEN
      RETURN QUERY SELECT false, v_count, a.seq, 'prev_hash does not match the previous row (a row was deleted, inserted or edited)';
      RETURN;
    END IF;
    IF a.redacted_at IS NULL THEN
      IF a.payload_hash <> app_audit_payload_hash(a.actor_user_id, a.subject_user_id, a.old_values, a.new_values, a.ip_address, a.user_agent) THEN
        RETURN QUERY SELECT false, v_count, a.seq, 'payload (actor, subject, values, ip or user agent) was edited';
        RETURN;
      END IF;
    ELSIF a.actor_user_id IS NOT NULL OR a.subject_user_id IS NOT NULL OR a.old_values IS NOT NULL
          OR a.new_values IS NOT NULL OR a.ip_address IS NOT NULL OR a.user_agent IS NOT NULL THEN
      RETURN QUERY SELECT false, v_count, a.seq, 'a redacted row carries personal data again (edited)';
      RETURN;
    END IF;
    IF a.row_hash <> app_audit_row_hash(a.seq, a.created_at, a.actor_role, a.action, a.table_name, a.resource_id,
                                        a.request_id, a.payload_hash, a.prev_hash) THEN
      RETURN QUERY SELECT false, v_count, a.seq, 'row content (time, role, action, table, resource) was edited';
      RETURN;
    END IF;
    v_prev := a.row_hash;
    v_expected := v_expected + 1;
  END LOOP;
  SELECT * INTO h FROM audit_chain_head WHERE id = 1;
  IF h.last_seq <> v_expected - 1 OR h.last_hash <> v_prev THEN
    RETURN QUERY SELECT false, v_count, v_expected, format('the chain head says %s rows; the last rows were deleted', h.last_seq);
    RETURN;
  END IF;
  RETURN QUERY SELECT true, v_count, NULL::bigint, NULL::text;
END
$$;

-- Erasure of a user's audit trail: the user herself, admins, 'system', and direct SQL by the owner.
CREATE OR REPLACE FUNCTION app_audit_erase_user(p_user_id uuid) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_n integer;
BEGIN
  IF NOT (coalesce(app_current_user_id() = p_user_id, false) OR app_is_admin() OR app_is_system()
          OR app_is_direct_sql()) THEN
    RAISE EXCEPTION 'permission denied to erase another user''s audit trail' USING ERRCODE = 'insufficient_privilege';
  END IF;
  UPDATE audit_logs
     SET actor_user_id = NULL, subject_user_id = NULL, old_values = NULL, new_values = NULL,
         ip_address = NULL, user_agent = NULL, redacted_at = coalesce(redacted_at, now())
   WHERE actor_user_id = p_user_id OR subject_user_id = p_user_id
      OR (table_name = 'users' AND resource_id = p_user_id::text);
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;

-- Users: only 'system' (or the owner in direct SQL, never the service without context) makes
-- admins; admins change other roles; a user cannot re-activate or un-delete herself.
CREATE OR REPLACE FUNCTION trg_users_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
  v_privileged boolean := app_is_system() OR app_is_direct_sql();
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.role = 'admin' AND NOT v_privileged THEN
      RAISE EXCEPTION 'only the system may create an admin' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
    NEW.password_changed_at := now();
  END IF;
  IF v_privileged THEN
    RETURN NEW;
  END IF;
  IF NEW.role IS DISTINCT FROM OLD.role
     AND NOT (app_is_admin() AND NEW.role <> 'admin' AND OLD.role <> 'admin') THEN
    RAISE EXCEPTION 'role change not allowed' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT app_is_admin() THEN
    IF NEW.is_active AND NOT OLD.is_active THEN
      RAISE EXCEPTION 'an account cannot re-activate itself' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL THEN
      RAISE EXCEPTION 'an erased account cannot be restored' USING ERRCODE = 'insufficient_privilege';
    END IF;
  END IF;
  RETURN NEW;
END
$$;

-- Relationships: as before; the no-context bypass is for the owner's direct SQL only.
CREATE OR REPLACE FUNCTION trg_doctor_patient_relationships_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_me uuid := app_current_user_id();
  v_privileged boolean := app_is_system() OR app_is_admin() OR app_is_direct_sql();
  v_doctor_side boolean;
BEGIN
  IF v_me IS NULL AND NOT v_privileged THEN
    RAISE EXCEPTION 'relationships change only for a signed-in party, an admin or the system' USING ERRCODE = 'insufficient_privilege';
  END IF;
  NEW.invitation_code := upper(btrim(NEW.invitation_code));
  IF NEW.doctor_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users WHERE id = NEW.doctor_id AND role = 'doctor') THEN
    RAISE EXCEPTION 'doctor_id must reference a doctor' USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.patient_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users WHERE id = NEW.patient_id AND role = 'patient') THEN
    RAISE EXCEPTION 'patient_id must reference a patient' USING ERRCODE = 'check_violation';
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF (OLD.doctor_id IS NOT NULL AND NEW.doctor_id IS DISTINCT FROM OLD.doctor_id)
       OR (OLD.patient_id IS NOT NULL AND NEW.patient_id IS DISTINCT FROM OLD.patient_id)
       OR NEW.initiated_by IS DISTINCT FROM OLD.initiated_by THEN
      RAISE EXCEPTION 'the parties of a relationship cannot change' USING ERRCODE = 'check_violation';
    END IF;
    IF NOT v_privileged THEN
      v_doctor_side := v_me = NEW.doctor_id;
      IF v_doctor_side THEN
        IF (NEW.can_view_prescriptions AND NOT OLD.can_view_prescriptions)
           OR (NEW.can_add_notes AND NOT OLD.can_add_notes)
           OR (NEW.can_modify_reminders AND NOT OLD.can_modify_reminders) THEN
          RAISE EXCEPTION 'only the patient grants permissions' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
             NEW.status IN ('inactive', 'declined') AND OLD.status IN ('pending', 'active')
             OR (NEW.status = 'active' AND OLD.status = 'pending' AND OLD.initiated_by = 'patient')) THEN
          RAISE EXCEPTION 'status change not allowed for the doctor' USING ERRCODE = 'insufficient_privilege';
        END IF;
      ELSE
        IF NEW.status IS DISTINCT FROM OLD.status AND (
             (NEW.status = 'active' AND NOT (OLD.status = 'pending' AND OLD.initiated_by = 'doctor'))
             OR (NEW.status = 'pending')) THEN
          RAISE EXCEPTION 'status change not allowed' USING ERRCODE = 'insufficient_privilege';
        END IF;
      END IF;
    END IF;
    IF NEW.status = 'active' AND OLD.status <> 'active' AND NEW.accepted_at IS NULL THEN
      NEW.accepted_at := now();
    END IF;
    IF NEW.status IN ('inactive', 'blocked', 'declined') AND OLD.status IN ('pending', 'active') AND NEW.ended_at IS NULL THEN
      NEW.ended_at := now();
    END IF;
  ELSIF NOT v_privileged AND NEW.status <> 'pending' THEN
    RAISE EXCEPTION 'a relationship starts as a pending invitation' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.status = 'active' AND NEW.accepted_at IS NULL THEN
    NEW.accepted_at := now();
  END IF;
  RETURN NEW;
END
$$;

GRANT EXECUTE ON FUNCTION app_is_owner_session(), app_is_direct_sql() TO dastern_app;

-- >>> migrations/006_push_subscriptions.sql (verbatim up part; keep identical)
-- 006_push_subscriptions.sql — Web Push subscriptions (one row per browser/device of a user).
--   * The dispatcher (app.user_role = 'system') reads them to deliver, counts failures, stamps
--     last_success_at, and disables dead endpoints (disabled_at) after a 404/410.
--   * RLS: the owner manages her own; 'system' everything; admins nothing (not even read).
--   * The endpoint is a capability URL and p256dh/auth are key material: app_audit_redact now
--     masks the keys endpoint, p256dh and auth in audit rows.
--   * app_push_subscribe(): subscribe the signed-in user; an endpoint already registered by
--     another account (a shared browser, the previous user signed out) moves to the new one,
--     which plain INSERT … ON CONFLICT cannot do under RLS (the other user's row is invisible).

CREATE TABLE push_subscriptions (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    endpoint         text NOT NULL,
    p256dh           text NOT NULL,
    auth             text NOT NULL,
    user_agent       text,
    failure_count    integer NOT NULL DEFAULT 0,
    last_success_at  timestamptz,
    disabled_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT push_subscriptions_endpoint_key UNIQUE (endpoint),
    -- https anywhere; plain http only to the loopback (tests, local push services)
    CONSTRAINT push_subscriptions_endpoint_check CHECK (
        length(endpoint) <= 2048
        AND endpoint ~ '^https?://'
        AND endpoint !~ '\s'
        AND (endpoint ~ '^https://[^/?#\s]+' OR endpoint ~ '^http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?(/|$)')),
    -- the client's P-256 public key: 65 bytes, base64url (87 characters, optionally padded)
    CONSTRAINT push_subscriptions_p256dh_check CHECK (p256dh ~ '^[A-Za-z0-9_-]{87}=?$'),
    -- the auth secret: at least 16 bytes (22 base64url characters), at most 64 bytes
    CONSTRAINT push_subscriptions_auth_check CHECK (auth ~ '^[A-Za-z0-9_-]{22,86}={0,2}$'),
    CONSTRAINT push_subscriptions_user_agent_check CHECK (length(user_agent) <= 1024),
    CONSTRAINT push_subscriptions_failure_count_check CHECK (failure_count >= 0)
);
COMMENT ON TABLE push_subscriptions IS 'Web Push subscriptions (endpoint + p256dh/auth keys, base64url) per user device. disabled_at: the push service said the endpoint is gone; failure_count: consecutive failed deliveries.';

CREATE INDEX idx_push_subscriptions_user_id ON push_subscriptions (user_id);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON push_subscriptions FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at();
CREATE TRIGGER audit_row_change AFTER INSERT OR UPDATE OR DELETE ON push_subscriptions FOR EACH ROW
    EXECUTE FUNCTION trg_audit_row_change('user_id', 'failure_count', 'last_success_at');

ALTER TABLE push_subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE push_subscriptions FORCE ROW LEVEL SECURITY;
-- the owner manages her devices; 'system' (the dispatcher) delivers and disables; admins nothing
CREATE POLICY push_subscriptions_owner ON push_subscriptions FOR ALL
    USING (user_id = (SELECT app_current_user_id()))
    WITH CHECK (user_id = (SELECT app_current_user_id()));
CREATE POLICY push_subscriptions_system ON push_subscriptions FOR ALL
    USING ((SELECT app_is_system()))
    WITH CHECK ((SELECT app_is_system()));

GRANT SELECT, INSERT, UPDATE, DELETE ON push_subscriptions TO dastern_app;

-- Secrets never reach the audit log: keys that look like passwords, tokens or codes are masked,
-- and the Web Push endpoint and keys.
CREATE OR REPLACE FUNCTION app_audit_redact(p_values jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN p_values IS NULL OR jsonb_typeof(p_values) <> 'object' THEN p_values
    ELSE (SELECT coalesce(jsonb_object_agg(e.key,
                    CASE WHEN (e.key ~* '(password|token|secret|invitation_code|otp)'
                               OR lower(e.key) IN ('endpoint', 'p256dh', 'auth'))
                          AND e.value <> 'null'::jsonb
                         THEN '"[REDACTED]"'::jsonb ELSE e.value END), '{}'::jsonb)
          FROM jsonb_each(p_values) AS e) END
$$;

-- Subscribe the signed-in user (app.user_id, active account) to Web Push; returns the row id.
-- An endpoint already known (this user re-subscribing, or another account on the same
-- browser) is taken over: new keys, this user, failures cleared, enabled again.
CREATE OR REPLACE FUNCTION app_push_subscribe(p_endpoint text, p_p256dh text, p_auth text, p_user_agent text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_me uuid := app_current_user_id();
  v_id uuid;
BEGIN
  IF v_me IS NULL OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = v_me AND u.is_active AND u.deleted_at IS NULL) THEN
    RAISE EXCEPTION 'permission denied: push subscriptions need a signed-in user' USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO push_subscriptions AS s (user_id, endpoint, p256dh, auth, user_agent)
  VALUES (v_me, p_endpoint, p_p256dh, p_auth, left(p_user_agent, 1024))
  ON CONFLICT (endpoint) DO UPDATE
     SET user_id = EXCLUDED.user_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth,
         user_agent = EXCLUDED.user_agent, failure_count = 0, disabled_at = NULL
  RETURNING s.id INTO v_id;
  RETURN v_id;
END
$$;

REVOKE ALL ON FUNCTION app_push_subscribe(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_push_subscribe(text, text, text, text) TO dastern_app;

-- >>> migrations/008_prescription_list_covering.sql (verbatim up part; keep identical)
-- 008_prescription_list_covering.sql — the prescription list without heap visits.
--
-- bench/db.bench.ts (1M prescriptions, 2.5M medications): the seed README's "prescriptions with
-- medications" query for a patient not read recently took 2.9 ms (median): her ~10 prescriptions
-- and ~25 medications sit on ~20 different heap pages (written months apart), 26 of the ~58
-- pages it touched came from outside shared buffers. With covering indexes the query — and its
-- row level security filters (patient_id, deleted_at) — is answered by index-only scans: 9 pages
-- from outside, 0.6 ms (warm: 0.63 → 0.50 ms).
--  * idx_prescriptions_patient_id_created_at keeps its key and INCLUDEs what the list shows;
--  * idx_medications_prescription_id: the medications of a prescription with name and strength.
-- An index entry must stay under ~2.7 kB: the two included free-text columns get a length limit
-- far above what the API accepts (pharmacy_name ≤ 200, strength ≤ 50 characters there).
-- Cost: about +50 MB (prescriptions) and +170 MB (medications) of index at that scale.

ALTER TABLE prescriptions ADD CONSTRAINT prescriptions_pharmacy_name_check CHECK (length(pharmacy_name) <= 500);
ALTER TABLE medications ADD CONSTRAINT medications_strength_check CHECK (length(strength) <= 100);

DROP INDEX idx_prescriptions_patient_id_created_at;
CREATE INDEX idx_prescriptions_patient_id_created_at ON prescriptions (patient_id, created_at DESC)
    INCLUDE (id, prescription_date, pharmacy_name, status, deleted_at);
CREATE INDEX idx_medications_prescription_id ON medications (prescription_id) INCLUDE (name, strength, patient_id);

-- >>> migrations/010_notify_per_statement.sql (verbatim up part; keep identical)
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

-- >>> migrations/012_audit_sealed_chain.sql (verbatim up part; keep identical)
-- 012_audit_sealed_chain.sql — the audit trail's hash chain, sealed in batches (issue 4: a read
-- of medical data writes an audit row; that row must not serialise every request).
-- Until 011 each audit insert locked the single audit_chain_head row until its transaction
-- committed, to take the next gapless seq and chain its hash: every request that wrote an audit
-- row waited for every other one (a lock convoy: ~550 inserts/s at most on 2 cores, whatever
-- the concurrency). Now:
--  * An insert takes no lock: a BEFORE INSERT trigger gives the row its seq (from a sequence:
--    unique and increasing, with gaps where a transaction rolled back), its time, and redacts
--    secrets. Nothing about the chain is computed there.
--  * The chain lives in audit_chain: one row per sealed audit row, in sealing order (position
--    1, 2, 3 … gapless), with payload_hash (sha256 of the personal parts), prev_hash and
--    row_hash, the same formulas as before. app_audit_seal() appends every committed, unsealed
--    audit row to it in seq order; one sealer at a time (an advisory lock; a second sealer
--    returns -1 at once), a batch per call; a call with nothing to do writes nothing. The service calls it every second (DASTERN_AUDIT_SEAL_INTERVAL_MS) and
--    `dastern audit verify` calls it before checking.
--  * Which rows are still unsealed is known without scanning the table: the head keeps
--    sealed_through, a seq below which every row is final and sealed. Each call records a
--    horizon: the sequence's last value, then a fresh xid of its own. The trigger makes a writer
--    take its xid before its seq, and xids are handed out in order, so every transaction holding
--    a seq ≤ that value has a smaller xid; once the current snapshot's xmin has passed the
--    recorded xid, all of them have ended, and sealed_through advances to the horizon.
--    (A snapshot's xmax would not do: it is one past the last *completed* xid, and a writer
--    still open above it would be passed over — found by review, covered by a test.)
--    A transaction that keeps an xid open (in any database of the cluster) holds the horizon
--    back: sealing stays correct, its scan above sealed_through grows.
--  * app_audit_verify() walks the chain: a sealed row edited, back-dated or deleted, a chain
--    entry removed or altered, the tail cut off (the head), and a row that appears below
--    sealed_through without being in the chain (inserted behind the sealer's back) are named by
--    seq. Rows written in the last moments and not sealed yet are counted as pending_rows; a row
--    still unsealed after p_stale (1 hour) fails the check: no sealer runs, or its lock is held.
--  * audit_logs keeps the record itself (erasure blanks its personal columns, as before); its
--    old hash columns move into audit_chain (existing rows keep their hashes: position = seq).
--  * The hash helpers lose their SET search_path (names qualified instead), which made every
--    call a separately planned function; app_audit_redact becomes PL/pgSQL (its plan is kept)
--    and returns at once when no key could be a secret (a regular expression over the text):
--    it was most of an audit insert's cost. Same results.
-- audit_chain and audit_chain_head hold no personal data: RLS stays enabled without FORCE, so
-- the owner's SECURITY DEFINER functions reach them and the service role (no grants) cannot.
-- This migration is mirrored at the end of schema.sql.

-- ---------------------------------------------------------------- hash helpers (same results)
CREATE OR REPLACE FUNCTION app_audit_payload_hash(p_actor uuid, p_subject uuid, p_old jsonb, p_new jsonb, p_ip inet, p_user_agent text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT pg_catalog.encode(public.digest(pg_catalog.concat_ws('|', coalesce(p_actor::text, ''), coalesce(p_subject::text, ''),
                                 coalesce(p_old::text, ''), coalesce(p_new::text, ''),
                                 coalesce(pg_catalog.host(p_ip), ''), coalesce(p_user_agent, '')), 'sha256'), 'hex')
$$;

CREATE OR REPLACE FUNCTION app_audit_row_hash(p_seq bigint, p_created_at timestamptz, p_actor_role text, p_action text,
                                              p_table_name text, p_resource_id text, p_request_id text,
                                              p_payload_hash text, p_prev_hash text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT pg_catalog.encode(public.digest(pg_catalog.concat_ws('|', p_seq::text,
                                 pg_catalog.to_char(p_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                                 coalesce(p_actor_role, ''), p_action, coalesce(p_table_name, ''),
                                 coalesce(p_resource_id, ''), coalesce(p_request_id, ''),
                                 p_payload_hash, p_prev_hash), 'sha256'), 'hex')
$$;

-- Secrets never reach the audit log: keys that look like passwords, tokens or codes are masked,
-- and the Web Push endpoint and keys. (Built-in names only: they resolve in pg_catalog first.)
CREATE OR REPLACE FUNCTION app_audit_redact(p_values jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
BEGIN
  IF p_values IS NULL OR pg_catalog.jsonb_typeof(p_values) <> 'object'
     OR NOT (p_values::text ~* '(password|token|secret|invitation_code|otp|endpoint|p256dh|auth)'
             OR pg_catalog.lower(p_values::text) ~ '(password|token|secret|invitation_code|otp|endpoint|p256dh|auth)') THEN
    RETURN p_values;  -- no key can match below (both ways of ignoring case, as below)
  END IF;
  RETURN (SELECT coalesce(pg_catalog.jsonb_object_agg(e.key,
                    CASE WHEN (e.key ~* '(password|token|secret|invitation_code|otp)'
                               OR pg_catalog.lower(e.key) IN ('endpoint', 'p256dh', 'auth'))
                          AND e.value <> 'null'::jsonb
                         THEN '"[REDACTED]"'::jsonb ELSE e.value END), '{}'::jsonb)
          FROM pg_catalog.jsonb_each(p_values) AS e);
END
$$;

-- ---------------------------------------------------------------- the chain, apart from the rows
CREATE TABLE audit_chain (
    position     bigint PRIMARY KEY,     -- 1, 2, 3 … in sealing order, gapless
    seq          bigint NOT NULL,        -- the audit_logs row (no foreign key: a deleted row must show as deleted)
    payload_hash text NOT NULL,
    prev_hash    text NOT NULL,
    row_hash     text NOT NULL,
    sealed_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT audit_chain_seq_key UNIQUE (seq),
    CONSTRAINT audit_chain_hash_check CHECK (payload_hash ~ '^[0-9a-f]{64}$' AND prev_hash ~ '^[0-9a-f]{64}$' AND row_hash ~ '^[0-9a-f]{64}$')
);
COMMENT ON TABLE audit_chain IS 'The tamper-evident seal of audit_logs: row_hash = sha256(seq | created_at | role | action | table | resource | request | payload_hash | prev_hash), chained in position order (app_audit_seal, app_audit_verify).';

INSERT INTO audit_chain (position, seq, payload_hash, prev_hash, row_hash, sealed_at)
SELECT seq, seq, payload_hash, prev_hash, row_hash, created_at FROM audit_logs ORDER BY seq;

ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_hash_check;
ALTER TABLE audit_logs DROP COLUMN payload_hash, DROP COLUMN prev_hash, DROP COLUMN row_hash;

CREATE SEQUENCE audit_logs_seq AS bigint;
SELECT setval('audit_logs_seq', coalesce((SELECT max(seq) FROM audit_logs), 0) + 1, false);
ALTER SEQUENCE audit_logs_seq OWNED BY audit_logs.seq;
GRANT USAGE ON SEQUENCE audit_logs_seq TO dastern_app;

ALTER TABLE audit_chain_head RENAME COLUMN last_seq TO last_position;
ALTER TABLE audit_chain_head
    ADD COLUMN sealed_through bigint NOT NULL DEFAULT 0,
    ADD COLUMN horizon_seq    bigint,
    ADD COLUMN horizon_xmax   xid8;
UPDATE audit_chain_head SET sealed_through = last_position WHERE id = 1;
COMMENT ON COLUMN audit_chain_head.sealed_through IS 'every audit_logs row with seq ≤ this is final and in audit_chain';

ALTER TABLE audit_chain ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_chain_head NO FORCE ROW LEVEL SECURITY;
REVOKE ALL ON audit_chain, audit_chain_head FROM PUBLIC;

-- ---------------------------------------------------------------- the insert: no lock, no hashing
DROP TRIGGER audit_logs_chain ON audit_logs;
DROP FUNCTION trg_audit_logs_chain();

-- Gives a new audit row its seq and time (whatever the writer said) and redacts secrets in
-- rows written directly (rows from trg_audit_row_change, one trigger level down, are redacted
-- there already). Takes the transaction's xid before the seq: see app_audit_seal.
CREATE FUNCTION trg_audit_logs_prepare() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM pg_catalog.pg_current_xact_id();
  NEW.seq := pg_catalog.nextval('public.audit_logs_seq');
  NEW.created_at := pg_catalog.clock_timestamp();
  NEW.redacted_at := NULL;
  IF pg_catalog.pg_trigger_depth() = 1 THEN
    NEW.old_values := public.app_audit_redact(NEW.old_values);
    NEW.new_values := public.app_audit_redact(NEW.new_values);
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER audit_logs_prepare BEFORE INSERT ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION trg_audit_logs_prepare();

-- ---------------------------------------------------------------- sealing
-- Appends committed, unsealed audit rows to the chain in seq order (at most p_limit per call)
-- and returns how many. Another sealer busy → 0 at once. Anyone may call it: it only chains
-- rows that exist. See the head's comment above for sealed_through and the horizon.
CREATE FUNCTION app_audit_seal(p_limit integer DEFAULT 5000) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  h audit_chain_head%ROWTYPE;
  a record;
  v_settled boolean;
  v_position bigint;
  v_prev text;
  v_payload text;
  v_hash text;
  v_n integer := 0;
  v_through bigint;
  v_last bigint;
  v_called boolean;
  v_horizon bigint;
  v_hx xid8;
BEGIN
  -- one sealer at a time (a transaction-level advisory lock: an idle call writes nothing);
  -- -1 tells the caller another sealer holds it
  IF NOT pg_try_advisory_xact_lock(hashtext('dastern'), hashtext('audit_seal')) THEN
    RETURN -1;
  END IF;
  SELECT * INTO h FROM audit_chain_head WHERE id = 1;
  -- The next horizon: the sequence first, then a new xid of our own. Xids are handed out in
  -- order and a writer takes its xid before its seq, so every transaction holding a seq ≤
  -- v_horizon has an xid below ours. Only when this transaction had no xid yet (an older one of
  -- ours proves nothing) and the sequence moved (an idle call writes nothing).
  IF pg_current_xact_id_if_assigned() IS NULL THEN
    SELECT last_value, is_called INTO v_last, v_called FROM audit_logs_seq;
    v_horizon := CASE WHEN v_called THEN v_last ELSE v_last - 1 END;
    IF v_horizon IS DISTINCT FROM h.horizon_seq THEN
      v_hx := pg_current_xact_id();
    END IF;
  END IF;
  -- settled: no transaction with an xid ≤ the recorded one is running any more, so every row
  -- with seq ≤ horizon_seq is committed (and visible to the query below) or rolled back
  v_settled := h.horizon_xmax IS NOT NULL AND pg_snapshot_xmin(pg_current_snapshot()) > h.horizon_xmax;
  v_position := h.last_position;
  v_prev := h.last_hash;
  FOR a IN
    SELECT l.seq, l.created_at, l.actor_user_id, l.actor_role, l.action, l.table_name, l.resource_id,
           l.subject_user_id, l.old_values, l.new_values, l.ip_address, l.user_agent, l.request_id
      FROM audit_logs l
     WHERE l.seq > h.sealed_through
       AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.seq = l.seq)
     ORDER BY l.seq
     LIMIT p_limit
  LOOP
    v_position := v_position + 1;
    v_payload := app_audit_payload_hash(a.actor_user_id, a.subject_user_id, a.old_values, a.new_values, a.ip_address, a.user_agent);
    v_hash := app_audit_row_hash(a.seq, a.created_at, a.actor_role, a.action, a.table_name, a.resource_id,
                                 a.request_id, v_payload, v_prev);
    INSERT INTO audit_chain (position, seq, payload_hash, prev_hash, row_hash) VALUES (v_position, a.seq, v_payload, v_prev, v_hash);
    v_prev := v_hash;
    v_n := v_n + 1;
  END LOOP;
  v_through := h.sealed_through;
  IF v_settled AND v_n < p_limit THEN
    v_through := greatest(v_through, h.horizon_seq);
  END IF;
  IF v_n > 0 OR v_through <> h.sealed_through OR v_hx IS NOT NULL THEN
    UPDATE audit_chain_head
       SET last_position = v_position, last_hash = v_prev, sealed_through = v_through,
           horizon_seq = CASE WHEN v_hx IS NULL THEN horizon_seq ELSE v_horizon END,
           horizon_xmax = coalesce(v_hx, horizon_xmax), updated_at = now()
     WHERE id = 1;
  END IF;
  RETURN v_n;
END
$$;
REVOKE ALL ON FUNCTION app_audit_seal(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_audit_seal(integer) TO dastern_app;

-- ---------------------------------------------------------------- verification
DROP FUNCTION app_audit_verify();
-- Walks the chain in position order. ok = false names the first sealed row that was edited,
-- back-dated or deleted, a broken chain entry, a cut-off tail, or a row inserted below the
-- sealed horizon outside the chain. pending_rows: rows not sealed yet (the last moments).
-- For admins, 'system' and direct SQL by the owner.
CREATE FUNCTION app_audit_verify(p_stale interval DEFAULT interval '1 hour')
RETURNS TABLE (ok boolean, checked_rows bigint, first_bad_seq bigint, problem text, pending_rows bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  r record;
  v_prev text := repeat('0', 64);
  v_expected bigint := 1;
  v_count bigint := 0;
  v_stray bigint;
  v_missing bigint;
  v_prev_seq bigint := NULL;
  v_pending bigint;
  v_stale bigint;
  h audit_chain_head%ROWTYPE;
BEGIN
  IF NOT (app_is_admin() OR app_is_system() OR app_is_direct_sql()) THEN
    RAISE EXCEPTION 'permission denied for audit verification' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT * INTO h FROM audit_chain_head WHERE id = 1;
  -- the unsealed rows, in one pass: below the sealed horizon (slipped in, or its seal was
  -- deleted), above it (pending), and above it but older than p_stale (no sealer runs)
  SELECT min(l.seq) FILTER (WHERE l.seq <= h.sealed_through),
         count(*) FILTER (WHERE l.seq > h.sealed_through),
         min(l.seq) FILTER (WHERE l.seq > h.sealed_through AND l.created_at < now() - p_stale)
    INTO v_stray, v_pending, v_stale
    FROM audit_logs l WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.seq = l.seq);
  FOR r IN
    SELECT c.position, c.seq AS chain_seq, c.payload_hash, c.prev_hash, c.row_hash, l.seq, l.created_at, l.actor_user_id,
           l.actor_role, l.action, l.table_name, l.resource_id, l.subject_user_id, l.old_values, l.new_values,
           l.ip_address, l.user_agent, l.request_id, l.redacted_at
      FROM audit_chain c LEFT JOIN audit_logs l ON l.seq = c.seq
     ORDER BY c.position
  LOOP
    v_count := v_count + 1;
    IF r.position <> v_expected OR r.prev_hash <> v_prev THEN
      -- name the row whose seal is gone when there is one: an unsealed row between this seal's
      -- row and the previous one's (a batch seals in seq order), else one below the horizon
      SELECT min(l.seq) INTO v_missing FROM audit_logs l
       WHERE l.seq < r.chain_seq AND (v_prev_seq IS NULL OR l.seq > v_prev_seq)
         AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.seq = l.seq);
      RETURN QUERY SELECT false, v_count, coalesce(v_missing, v_stray, r.chain_seq),
        CASE WHEN r.position <> v_expected THEN format('chain positions %s..%s are missing (seals deleted)', v_expected, r.position - 1)
             ELSE 'prev_hash does not match the previous seal (a seal was deleted, inserted or edited)' END, NULL::bigint;
      RETURN;
    END IF;
    IF r.seq IS NULL THEN
      RETURN QUERY SELECT false, v_count, r.chain_seq, 'the sealed row is gone (deleted)', NULL::bigint;
      RETURN;
    END IF;
    IF r.redacted_at IS NULL THEN
      IF r.payload_hash <> app_audit_payload_hash(r.actor_user_id, r.subject_user_id, r.old_values, r.new_values, r.ip_address, r.user_agent) THEN
        RETURN QUERY SELECT false, v_count, r.seq, 'payload (actor, subject, values, ip or user agent) was edited', NULL::bigint;
        RETURN;
      END IF;
    ELSIF r.actor_user_id IS NOT NULL OR r.subject_user_id IS NOT NULL OR r.old_values IS NOT NULL
          OR r.new_values IS NOT NULL OR r.ip_address IS NOT NULL OR r.user_agent IS NOT NULL THEN
      RETURN QUERY SELECT false, v_count, r.seq, 'a redacted row carries personal data again (edited)', NULL::bigint;
      RETURN;
    END IF;
    IF r.row_hash <> app_audit_row_hash(r.seq, r.created_at, r.actor_role, r.action, r.table_name, r.resource_id,
                                        r.request_id, r.payload_hash, r.prev_hash) THEN
      RETURN QUERY SELECT false, v_count, r.seq, 'row content (time, role, action, table, resource) was edited', NULL::bigint;
      RETURN;
    END IF;
    v_prev := r.row_hash;
    v_prev_seq := r.seq;
    v_expected := v_expected + 1;
  END LOOP;
  IF h.last_position <> v_expected - 1 OR h.last_hash <> v_prev THEN
    RETURN QUERY SELECT false, v_count, NULL::bigint, format('the chain head says %s seals, %s are left: the last were deleted', h.last_position, v_expected - 1), NULL::bigint;
    RETURN;
  END IF;
  IF v_stray IS NOT NULL THEN
    RETURN QUERY SELECT false, v_count, v_stray, 'a row below the sealed horizon is not in the chain (inserted behind the sealer''s back)', NULL::bigint;
    RETURN;
  END IF;
  IF v_stale IS NOT NULL THEN
    RETURN QUERY SELECT false, v_count, v_stale, format('a row written more than %s ago is not sealed: no sealer runs, or its lock is held', p_stale), v_pending;
    RETURN;
  END IF;
  RETURN QUERY SELECT true, v_count, NULL::bigint, NULL::text, v_pending;
END
$$;
REVOKE ALL ON FUNCTION app_audit_verify(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_audit_verify(interval) TO dastern_app;

-- >>> migrations/013_clinical_notes_privacy.sql (verbatim up part; keep identical)
-- 013_clinical_notes_privacy.sql — clinical notes restricted to the authoring doctor and the
-- patient, as the seed README says ("Clinical notes are restricted to the authoring doctor and
-- patient"), and the author's access ending with the relationship (issue 4: "Access ends the
-- moment the relationship stops being active"):
--  * admins no longer read or delete notes (001 let them; they never needed to: erasure
--    deletes the user row and the foreign keys cascade beneath RLS, and a private note is the
--    author's alone);
--  * the author reads, changes and deletes his notes only while he holds an active
--    relationship with the patient (any permission; writing still needs can_add_notes).
-- 'system' (maintenance, erasure) keeps full access.

DROP POLICY clinical_notes_select ON clinical_notes;
CREATE POLICY clinical_notes_select ON clinical_notes FOR SELECT USING (
    (doctor_id = (SELECT app_current_user_id()) AND patient_id = ANY ((SELECT app_doctor_patient_ids('any'))::uuid[]))
    OR (patient_id = (SELECT app_current_user_id()) AND NOT is_private)
    OR (SELECT app_is_system()));

DROP POLICY clinical_notes_update ON clinical_notes;
CREATE POLICY clinical_notes_update ON clinical_notes FOR UPDATE
    USING ((doctor_id = (SELECT app_current_user_id()) AND patient_id = ANY ((SELECT app_doctor_patient_ids('any'))::uuid[]))
           OR (SELECT app_is_system()))
    WITH CHECK ((doctor_id = (SELECT app_current_user_id()) AND patient_id = ANY ((SELECT app_doctor_patient_ids('add_notes'))::uuid[]))
                OR (SELECT app_is_system()));

DROP POLICY clinical_notes_delete ON clinical_notes;
CREATE POLICY clinical_notes_delete ON clinical_notes FOR DELETE USING (
    (doctor_id = (SELECT app_current_user_id()) AND patient_id = ANY ((SELECT app_doctor_patient_ids('any'))::uuid[]))
    OR (SELECT app_is_system()));

-- >>> migrations/014_worker_role.sql (verbatim up part; keep identical)
-- 014_worker_role.sql — 'system' only for the background jobs' own login; password hashes out
-- of the service's reach.
--
-- Until now any session could say set_config('app.user_role', 'system') and every policy let
-- it read and write everything: RLS protected against a missing WHERE, not against an
-- injection or a stolen credential of the API's login. Now:
--  * the background jobs (queue, reminder dispatcher, delivery, readings, maintenance, audit
--    sealing) log in as their own role, dastern_worker (NOLOGIN here; the application gives it
--    LOGIN and a password, like dastern_app). It holds dastern_app's privileges (membership).
--  * app_current_role() answers 'system' only when the session's LOGIN (session_user: neither
--    SET ROLE nor SECURITY DEFINER changes it) is dastern_worker, or a trusted operator (the
--    owner in psql, app_is_owner_session()). For the API's login 'system' is no role at all:
--    NULL, i.e. nothing visible, no privileged function.
--  * users.password_hash is not readable by the service's roles (column privileges: SELECT on
--    every other column). The hash is read only through SECURITY DEFINER functions:
--    app_auth_find_user (login, 001) and app_user_password_hash (the user herself or 'system').
--    A migration that adds a column to users must GRANT SELECT (column) TO dastern_app.
--  * mark_missed_doses(now, grace_minutes): one grace window for every reminder
--    (DASTERN_MISSED_GRACE_MINUTES); the one-argument form keeps each reminder's own.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dastern_worker') THEN
    BEGIN
      CREATE ROLE dastern_worker NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- created at the same instant by a concurrent migration of another database
    END;
  ELSIF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dastern_worker' AND (rolsuper OR rolbypassrls)) THEN
    ALTER ROLE dastern_worker NOSUPERUSER NOBYPASSRLS;
  END IF;
  IF NOT pg_has_role('dastern_worker', 'dastern_app', 'MEMBER') THEN
    GRANT dastern_app TO dastern_worker;
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION app_current_role() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN r IN ('patient', 'doctor', 'admin') THEN r
              WHEN r = 'system' AND (session_user = 'dastern_worker' OR public.app_is_owner_session()) THEN r END
  FROM (SELECT lower(btrim(coalesce(current_setting('app.user_role', true), ''))) AS r) AS x
$$;

-- password_hash: every column of users but that one.
REVOKE SELECT ON users FROM dastern_app;
DO $$
DECLARE
  cols text;
BEGIN
  SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
  FROM pg_attribute
  WHERE attrelid = 'public.users'::regclass AND attnum > 0 AND NOT attisdropped AND attname <> 'password_hash';
  EXECUTE format('GRANT SELECT (%s) ON users TO dastern_app', cols);
END
$$;

-- The hash of the acting user herself (password change) or, for 'system', of anyone.
CREATE OR REPLACE FUNCTION app_user_password_hash(p_user_id uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT u.password_hash FROM users u
  WHERE u.id = p_user_id AND (p_user_id = app_current_user_id() OR app_is_system())
$$;
REVOKE ALL ON FUNCTION app_user_password_hash(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_user_password_hash(uuid) TO dastern_app;

-- Her profile for the data export (every column but the secrets), without naming the columns
-- (to_jsonb(users) needs SELECT on password_hash). The user herself only.
CREATE OR REPLACE FUNCTION app_user_export_profile(p_user_id uuid) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT to_jsonb(u) - 'password_hash' - 'failed_login_count' - 'failed_login_window_start'
  FROM users u WHERE u.id = p_user_id AND p_user_id = app_current_user_id()
$$;
REVOKE ALL ON FUNCTION app_user_export_profile(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_user_export_profile(uuid) TO dastern_app;

CREATE OR REPLACE FUNCTION mark_missed_doses(p_now timestamptz, p_grace_minutes integer) RETURNS integer
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
  WITH missed AS (
    UPDATE medication_reminder_logs l SET status = 'missed', action_at = NULL
    WHERE l.status IN ('pending', 'snoozed')
      AND l.scheduled_for + make_interval(mins => greatest(p_grace_minutes, 1)) <= p_now
    RETURNING l.id)
  SELECT count(*)::integer FROM missed
$$;
GRANT EXECUTE ON FUNCTION mark_missed_doses(timestamptz, integer) TO dastern_app;

-- >>> migrations/015_dose_states_own_medicines.sql (verbatim up part; keep identical)
-- 015_dose_states_own_medicines.sql — issue 10, items 4, 5 and 10.
--
-- Item 4: the life of a dose log, enforced in one place (the database):
--
--   (none) ──dispatcher──▶ pending ──▶ taken | skipped | snoozed | missed
--                          snoozed ──▶ taken | skipped | snoozed (again) | missed
--                          missed  ──▶ taken | skipped      (the patient tells us later)
--                          taken  ◀──▶ skipped              (a correction of the wrong button)
--   Nothing ever goes back to pending; taken, skipped and missed are never snoozed.
--   dose_log_refusal(from, to) names the refused transitions (NULL: allowed; the problem code
--   the API answers otherwise); trigger dose_log_state applies it to every UPDATE, whoever
--   writes (the service, the dispatcher, psql), and keeps only each state's own data: the
--   reason belongs to a skip, snoozed_until to a snooze, action_at to taken/skipped. The CHECK
--   constraints say the same for INSERTs.
--
-- Item 5 (the same photo twice) needs nothing here: idx_prescriptions_patient_id_image_sha256 (001).
--
-- Item 10: a patient's own medicines:
--   * medications.prescription_id may be NULL for a medicine added by hand (source 'manual');
--   * schedule_kind: 'slots' (morning/noon/evening/night, as printed), 'interval' (every
--     interval_hours from first_dose_time, interval_hours dividing 24: the same times every
--     day), 'as_needed' (PRN: no reminders; each intake in medication_prn_doses);
--     dose_amount/dose_unit: the dose of an 'interval' or 'as_needed' medicine;
--   * stopped_at/stop_reason: a medicine stopped by the patient (its reminders end, its dose
--     history stays);
--   * medication_prn_doses: the intakes of as-needed medicines (RLS like dose logs, audited).

-- ---------------------------------------------------------------- dose log states
CREATE OR REPLACE FUNCTION dose_log_refusal(p_from reminder_log_status, p_to reminder_log_status) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = public, pg_temp
AS $$
  SELECT CASE
    WHEN p_from IS NULL OR p_from = p_to THEN NULL
    WHEN p_to = 'pending' THEN 'dose_already_recorded'
    WHEN p_from IN ('pending', 'snoozed') THEN NULL
    WHEN p_from = 'taken' AND p_to = 'skipped' THEN NULL
    WHEN p_from = 'skipped' AND p_to = 'taken' THEN NULL
    WHEN p_from = 'missed' AND p_to IN ('taken', 'skipped') THEN NULL
    WHEN p_from = 'taken' THEN 'dose_already_taken'
    WHEN p_from = 'skipped' THEN 'dose_already_skipped'
    ELSE 'dose_already_missed'
  END
$$;

CREATE OR REPLACE FUNCTION trg_dose_log_state() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
  v_refusal text := dose_log_refusal(OLD.status, NEW.status);
BEGIN
  IF v_refusal IS NOT NULL THEN
    RAISE EXCEPTION 'dose log %: % → % is not allowed', OLD.id, OLD.status, NEW.status
      USING ERRCODE = 'check_violation', CONSTRAINT = 'dose_log_state', HINT = v_refusal;
  END IF;
  IF NEW.status <> 'snoozed' THEN NEW.snoozed_until := NULL; END IF;
  IF NEW.status NOT IN ('taken', 'skipped') THEN NEW.action_at := NULL; END IF;
  IF NEW.status <> 'skipped' THEN NEW.reason := NULL; END IF;
  RETURN NEW;
END
$$;

-- stale data written before this migration (a reason kept on a dose later taken, …)
UPDATE medication_reminder_logs SET
    reason = CASE WHEN status = 'skipped' THEN reason END,
    snoozed_until = CASE WHEN status = 'snoozed' THEN snoozed_until END,
    action_at = CASE WHEN status IN ('taken', 'skipped') THEN action_at END
WHERE (reason IS NOT NULL AND status <> 'skipped') OR (snoozed_until IS NOT NULL AND status <> 'snoozed')
   OR (action_at IS NOT NULL AND status NOT IN ('taken', 'skipped'));

CREATE TRIGGER dose_log_state BEFORE UPDATE ON medication_reminder_logs FOR EACH ROW EXECUTE FUNCTION trg_dose_log_state();

ALTER TABLE medication_reminder_logs
    ADD CONSTRAINT medication_reminder_logs_reason_status_check CHECK (reason IS NULL OR status = 'skipped'),
    ADD CONSTRAINT medication_reminder_logs_snoozed_until_status_check CHECK (snoozed_until IS NULL OR status = 'snoozed'),
    ADD CONSTRAINT medication_reminder_logs_action_at_status_check CHECK (action_at IS NULL OR status IN ('taken', 'skipped'));

-- ---------------------------------------------------------------- a patient's own medicines
ALTER TABLE medications ALTER COLUMN prescription_id DROP NOT NULL;
ALTER TABLE medications
    ADD COLUMN source text NOT NULL DEFAULT 'prescription',
    ADD COLUMN schedule_kind text NOT NULL DEFAULT 'slots',
    ADD COLUMN interval_hours smallint,
    ADD COLUMN first_dose_time time,
    ADD COLUMN dose_amount numeric(6, 2),
    ADD COLUMN dose_unit text,
    ADD COLUMN stopped_at timestamptz,
    ADD COLUMN stop_reason text,
    ADD CONSTRAINT medications_source_check CHECK (source IN ('prescription', 'manual')
        AND (source = 'manual' OR prescription_id IS NOT NULL)),
    ADD CONSTRAINT medications_schedule_kind_check CHECK (schedule_kind IN ('slots', 'interval', 'as_needed')),
    ADD CONSTRAINT medications_interval_check CHECK (
        (schedule_kind = 'interval') = (interval_hours IS NOT NULL)
        AND (schedule_kind <> 'interval' OR first_dose_time IS NOT NULL)
        AND interval_hours IN (1, 2, 3, 4, 6, 8, 12)),
    ADD CONSTRAINT medications_dose_amount_check CHECK (CASE WHEN schedule_kind = 'slots' THEN dose_amount IS NULL
        ELSE coalesce(dose_amount > 0 AND dose_amount <= 100, false) END),
    ADD CONSTRAINT medications_dose_unit_check CHECK (btrim(dose_unit) <> '' AND length(dose_unit) <= 32),
    ADD CONSTRAINT medications_stop_check CHECK ((stopped_at IS NULL OR NOT is_active) AND length(stop_reason) <= 500);
COMMENT ON COLUMN medications.schedule_kind IS 'slots: doses per morning/noon/evening/night; interval: every interval_hours from first_dose_time (dose_amount each); as_needed: PRN, no reminders, intakes in medication_prn_doses';

CREATE TABLE medication_prn_doses (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    medication_id   uuid NOT NULL,
    patient_id      uuid NOT NULL,
    taken_at        timestamptz NOT NULL,
    dose_amount     numeric(6, 2) NOT NULL,
    note            text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT medication_prn_doses_medication_fkey FOREIGN KEY (medication_id, patient_id)
        REFERENCES medications (id, patient_id) ON DELETE CASCADE,
    CONSTRAINT medication_prn_doses_dose_amount_check CHECK (dose_amount > 0 AND dose_amount <= 100),
    CONSTRAINT medication_prn_doses_note_check CHECK (length(note) <= 1000)
);
COMMENT ON TABLE medication_prn_doses IS 'Intakes of as-needed (PRN) medicines, logged on demand; counted apart from scheduled adherence.';
CREATE INDEX idx_medication_prn_doses_patient_id_taken_at ON medication_prn_doses (patient_id, taken_at DESC);
CREATE INDEX idx_medication_prn_doses_medication_id_taken_at ON medication_prn_doses (medication_id, taken_at DESC);

CREATE TRIGGER audit_row_change AFTER INSERT OR UPDATE OR DELETE ON medication_prn_doses FOR EACH ROW
    EXECUTE FUNCTION trg_audit_row_change('patient_id');

ALTER TABLE medication_prn_doses ENABLE ROW LEVEL SECURITY;
ALTER TABLE medication_prn_doses FORCE ROW LEVEL SECURITY;
-- like dose logs: the patient writes; her doctors (can_view_prescriptions) and admins read; 'system'
CREATE POLICY medication_prn_doses_select ON medication_prn_doses FOR SELECT USING (
    patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_admin()) OR (SELECT app_is_system())
    OR patient_id = ANY ((SELECT app_doctor_patient_ids('view_prescriptions'))::uuid[]));
CREATE POLICY medication_prn_doses_write ON medication_prn_doses FOR ALL
    USING (patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()))
    WITH CHECK (patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));

GRANT SELECT, INSERT, UPDATE, DELETE ON medication_prn_doses TO dastern_app;

-- >>> migrations/016_party_names_stream_tickets.sql (verbatim up part; keep identical)
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

-- >>> migrations/017_notification_message_key.sql (verbatim up part; keep identical)
-- 017_notification_message_key.sql — notifications read in the reader's language (issue 10, item 8).
-- A notification names its text by a key of the message catalogue (src/i18n/locales/*.ts,
-- notification.<key>): the API renders title and body from it in the recipient's current
-- language when the notification is read (list, live stream). title/body keep the text as
-- written at creation (for the data export, and for rows without a key: the dispatcher's
-- reminders and missed-dose alerts, refills and prescriptions read, which are written in the
-- recipient's language already). NULL for those and for older rows.
ALTER TABLE notifications ADD COLUMN message_key text;
ALTER TABLE notifications ADD CONSTRAINT notifications_message_key_check CHECK (message_key ~ '^[a-z][a-z0-9_]{0,62}$');

-- >>> migrations/018_audit_erasure_sealed.sql (verbatim up part; keep identical)
-- 018_audit_erasure_sealed.sql — erasure inside the audit chain's guarantees (issue 16, items 1 and 2).
--  * Erasing a reader's account no longer erases the patient's record of who read her file: a
--    row whose actor is the erased user and whose subject is someone else keeps its subject
--    (and its role, action, table, resource and time, which are in the chained text); the
--    erased user's id, IP, user agent and the row's values go. Her access log shows "a doctor
--    (account deleted)". Rows about the erased user (subject, her own acts, her users row) are
--    blanked entirely, as before.
--  * Every erasure is itself an audit row (action 'erase_user', table 'audit_logs') sealed into
--    the chain like any other: resource_id names the redacted rows' seq range and new_values
--    their count, their seq ranges and a digest of audit_redactions' entries for it.
--    audit_redactions keeps, per erasure and redacted row, the row's payload hash after the
--    redaction (no personal data: seq numbers and hashes; no grant to the service).
--  * app_audit_verify demands, for every redacted row, an entry of a recorded erasure whose
--    hash matches the row as it is now (a plain UPDATE that blanks a row and sets redacted_at,
--    or edits a kept subject, fails and names the row), and, for every erasure event, that its
--    entries still give the digest it sealed (entries added, removed or edited fail and name
--    the event).
--  * Nobody erases a living account: app_audit_erase_user refuses while the users row exists and
--    is not anonymised (DELETE /me deletes the row first, in the same transaction).
-- Rows redacted before this migration are named by one erasure event written here.

CREATE TABLE audit_redactions (
    seq          bigint NOT NULL,      -- the redacted audit_logs row
    erasure_seq  bigint NOT NULL,      -- the 'erase_user' audit row that redacted it
    payload_hash text NOT NULL,        -- app_audit_payload_hash of the row just after the redaction
    CONSTRAINT audit_redactions_pkey PRIMARY KEY (seq, erasure_seq),
    CONSTRAINT audit_redactions_hash_check CHECK (payload_hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX idx_audit_redactions_erasure ON audit_redactions (erasure_seq);
COMMENT ON TABLE audit_redactions IS 'What each erasure (audit_logs action erase_user) redacted: the row and its payload hash afterwards; sealed through the erasure row''s digest.';
ALTER TABLE audit_redactions ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON audit_redactions FROM PUBLIC;

-- The digest an erasure event seals: sha256 over "seq:payload_hash" of its entries in seq order.
CREATE FUNCTION app_audit_erasure_digest(p_erasure_seq bigint) RETURNS text
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
  SELECT encode(digest(coalesce(string_agg(r.seq::text || ':' || r.payload_hash, ',' ORDER BY r.seq), ''), 'sha256'), 'hex')
    FROM audit_redactions r WHERE r.erasure_seq = p_erasure_seq
$$;
REVOKE ALL ON FUNCTION app_audit_erasure_digest(bigint) FROM PUBLIC;

-- Records an erasure event for the rows just marked in audit_redactions under p_erasure_seq:
-- their count, seq ranges (gaps and islands) and the digest.
CREATE FUNCTION app_audit_seal_erasure(p_erasure_seq bigint) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = public, pg_temp
AS $$
DECLARE
  v_n integer;
  v_min bigint;
  v_max bigint;
  v_ranges jsonb;
BEGIN
  SELECT count(*), min(seq), max(seq) INTO v_n, v_min, v_max FROM audit_redactions WHERE erasure_seq = p_erasure_seq;
  SELECT coalesce(jsonb_agg(jsonb_build_array(lo, hi) ORDER BY lo), '[]'::jsonb) INTO v_ranges
    FROM (SELECT min(seq) AS lo, max(seq) AS hi
            FROM (SELECT seq, seq - row_number() OVER (ORDER BY seq) AS grp
                    FROM (SELECT l.seq FROM audit_logs l JOIN audit_redactions r ON r.seq = l.seq AND r.erasure_seq = p_erasure_seq) s) g
           GROUP BY grp) x;
  UPDATE audit_logs
     SET resource_id = CASE WHEN v_n = 0 THEN 'no rows' ELSE format('seq %s..%s', v_min, v_max) END,
         new_values = jsonb_build_object('redacted_rows', v_n, 'seq_ranges', v_ranges, 'digest', app_audit_erasure_digest(p_erasure_seq))
   WHERE seq = p_erasure_seq;
  RETURN v_n;
END
$$;
REVOKE ALL ON FUNCTION app_audit_seal_erasure(bigint) FROM PUBLIC;

-- Erasure of an erased user's audit trail: the user herself (her row already deleted in this
-- transaction), admins, 'system', and direct SQL by the owner — never while the account exists.
CREATE OR REPLACE FUNCTION app_audit_erase_user(p_user_id uuid) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_event bigint;
  v_n integer;
BEGIN
  IF NOT (coalesce(app_current_user_id() = p_user_id, false) OR app_is_admin() OR app_is_system()
          OR app_is_direct_sql()) THEN
    RAISE EXCEPTION 'permission denied to erase another user''s audit trail' USING ERRCODE = 'insufficient_privilege';
  END IF;
  -- living: the row exists and was not anonymised (deleted_at + anonymised_at: the documented soft erasure)
  IF p_user_id IS NULL OR EXISTS (SELECT 1 FROM users u WHERE u.id = p_user_id AND u.anonymised_at IS NULL) THEN
    RAISE EXCEPTION 'the account still exists: only an erased account''s audit trail is redacted' USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  -- the event first (its seq names the entries), completed below in this transaction, before
  -- any sealer can see it
  INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id)
  VALUES (NULL, coalesce(app_current_role(), 'system'), 'erase_user', 'audit_logs', 'pending')
  RETURNING seq INTO v_event;
  WITH target AS (
    SELECT l.seq,
           -- the patient's record that someone read or changed her data stays hers
           (l.actor_user_id = p_user_id AND l.subject_user_id IS NOT NULL AND l.subject_user_id <> p_user_id
            AND NOT (l.table_name = 'users' AND l.resource_id = p_user_id::text)) AS keep_subject
      FROM audit_logs l
     WHERE l.seq <> v_event
       AND (l.actor_user_id = p_user_id OR l.subject_user_id = p_user_id
            OR (l.table_name = 'users' AND l.resource_id = p_user_id::text))
  ), done AS (
    UPDATE audit_logs l
       SET actor_user_id = NULL, subject_user_id = CASE WHEN t.keep_subject THEN l.subject_user_id END,
           old_values = NULL, new_values = NULL, ip_address = NULL, user_agent = NULL,
           redacted_at = now()
      FROM target t WHERE l.seq = t.seq
    RETURNING l.seq, l.subject_user_id
  )
  INSERT INTO audit_redactions (seq, erasure_seq, payload_hash)
  SELECT d.seq, v_event, app_audit_payload_hash(NULL, d.subject_user_id, NULL, NULL, NULL, NULL) FROM done d;
  v_n := app_audit_seal_erasure(v_event);
  RETURN v_n;
END
$$;

-- The rows redacted before 018: one erasure event names them.
DO $do$
DECLARE
  v_event bigint;
BEGIN
  IF EXISTS (SELECT 1 FROM audit_logs WHERE redacted_at IS NOT NULL) THEN
    INSERT INTO audit_logs (actor_role, action, table_name, resource_id)
    VALUES ('system', 'erase_user', 'audit_logs', 'pending') RETURNING seq INTO v_event;
    INSERT INTO audit_redactions (seq, erasure_seq, payload_hash)
    SELECT seq, v_event, app_audit_payload_hash(actor_user_id, subject_user_id, old_values, new_values, ip_address, user_agent)
      FROM audit_logs WHERE redacted_at IS NOT NULL;
    PERFORM app_audit_seal_erasure(v_event);
  END IF;
END
$do$;

-- Walks the chain in position order. ok = false names the first sealed row that was edited,
-- back-dated or deleted, a broken chain entry, a cut-off tail, a row inserted below the
-- sealed horizon outside the chain, a redacted row no recorded erasure accounts for, or an
-- erasure whose record of what it redacted was changed. pending_rows: rows not sealed yet.
-- For admins, 'system' and direct SQL by the owner.
CREATE OR REPLACE FUNCTION app_audit_verify(p_stale interval DEFAULT interval '1 hour')
RETURNS TABLE (ok boolean, checked_rows bigint, first_bad_seq bigint, problem text, pending_rows bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  r record;
  e record;
  v_prev text := repeat('0', 64);
  v_expected bigint := 1;
  v_count bigint := 0;
  v_stray bigint;
  v_missing bigint;
  v_prev_seq bigint := NULL;
  v_pending bigint;
  v_stale bigint;
  h audit_chain_head%ROWTYPE;
BEGIN
  IF NOT (app_is_admin() OR app_is_system() OR app_is_direct_sql()) THEN
    RAISE EXCEPTION 'permission denied for audit verification' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT * INTO h FROM audit_chain_head WHERE id = 1;
  SELECT min(l.seq) FILTER (WHERE l.seq <= h.sealed_through),
         count(*) FILTER (WHERE l.seq > h.sealed_through),
         min(l.seq) FILTER (WHERE l.seq > h.sealed_through AND l.created_at < now() - p_stale)
    INTO v_stray, v_pending, v_stale
    FROM audit_logs l WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.seq = l.seq);
  FOR r IN
    SELECT c.position, c.seq AS chain_seq, c.payload_hash, c.prev_hash, c.row_hash, l.seq, l.created_at, l.actor_user_id,
           l.actor_role, l.action, l.table_name, l.resource_id, l.subject_user_id, l.old_values, l.new_values,
           l.ip_address, l.user_agent, l.request_id, l.redacted_at, x.payload_hash AS redacted_hash, x.erasure_seq
      FROM audit_chain c LEFT JOIN audit_logs l ON l.seq = c.seq
      LEFT JOIN LATERAL (SELECT ar.payload_hash, ar.erasure_seq FROM audit_redactions ar
                          WHERE ar.seq = c.seq ORDER BY ar.erasure_seq DESC LIMIT 1) x ON l.redacted_at IS NOT NULL
     ORDER BY c.position
  LOOP
    v_count := v_count + 1;
    IF r.position <> v_expected OR r.prev_hash <> v_prev THEN
      SELECT min(l.seq) INTO v_missing FROM audit_logs l
       WHERE l.seq < r.chain_seq AND (v_prev_seq IS NULL OR l.seq > v_prev_seq)
         AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.seq = l.seq);
      RETURN QUERY SELECT false, v_count, coalesce(v_missing, v_stray, r.chain_seq),
        CASE WHEN r.position <> v_expected THEN format('chain positions %s..%s are missing (seals deleted)', v_expected, r.position - 1)
             ELSE 'prev_hash does not match the previous seal (a seal was deleted, inserted or edited)' END, NULL::bigint;
      RETURN;
    END IF;
    IF r.seq IS NULL THEN
      RETURN QUERY SELECT false, v_count, r.chain_seq, 'the sealed row is gone (deleted)', NULL::bigint;
      RETURN;
    END IF;
    IF r.redacted_at IS NULL THEN
      IF r.payload_hash <> app_audit_payload_hash(r.actor_user_id, r.subject_user_id, r.old_values, r.new_values, r.ip_address, r.user_agent) THEN
        RETURN QUERY SELECT false, v_count, r.seq, 'payload (actor, subject, values, ip or user agent) was edited', NULL::bigint;
        RETURN;
      END IF;
    ELSIF r.redacted_hash IS NULL OR NOT EXISTS (SELECT 1 FROM audit_logs ev JOIN audit_chain ec ON ec.seq = ev.seq
                                                  WHERE ev.seq = r.erasure_seq AND ev.action = 'erase_user' AND ev.table_name = 'audit_logs') THEN
      RETURN QUERY SELECT false, v_count, r.seq, 'a redacted row that no sealed erasure names (blanked outside an erasure)', NULL::bigint;
      RETURN;
    ELSIF r.redacted_hash <> app_audit_payload_hash(r.actor_user_id, r.subject_user_id, r.old_values, r.new_values, r.ip_address, r.user_agent) THEN
      RETURN QUERY SELECT false, v_count, r.seq, format('a redacted row differs from what erasure %s left (edited)', r.erasure_seq), NULL::bigint;
      RETURN;
    END IF;
    IF r.row_hash <> app_audit_row_hash(r.seq, r.created_at, r.actor_role, r.action, r.table_name, r.resource_id,
                                        r.request_id, r.payload_hash, r.prev_hash) THEN
      RETURN QUERY SELECT false, v_count, r.seq, 'row content (time, role, action, table, resource) was edited', NULL::bigint;
      RETURN;
    END IF;
    v_prev := r.row_hash;
    v_prev_seq := r.seq;
    v_expected := v_expected + 1;
  END LOOP;
  IF h.last_position <> v_expected - 1 OR h.last_hash <> v_prev THEN
    RETURN QUERY SELECT false, v_count, NULL::bigint, format('the chain head says %s seals, %s are left: the last were deleted', h.last_position, v_expected - 1), NULL::bigint;
    RETURN;
  END IF;
  -- each sealed erasure's record of what it redacted is the one it sealed
  FOR e IN
    SELECT ev.seq, ev.new_values ->> 'digest' AS digest
      FROM audit_logs ev JOIN audit_chain ec ON ec.seq = ev.seq
     WHERE ev.action = 'erase_user' AND ev.table_name = 'audit_logs'
     ORDER BY ev.seq
  LOOP
    IF e.digest IS DISTINCT FROM app_audit_erasure_digest(e.seq) THEN
      RETURN QUERY SELECT false, v_count, e.seq, 'the record of what this erasure redacted was changed (audit_redactions)', NULL::bigint;
      RETURN;
    END IF;
  END LOOP;
  SELECT min(ar.erasure_seq) INTO v_missing FROM audit_redactions ar
   WHERE ar.erasure_seq <= h.sealed_through
     AND NOT EXISTS (SELECT 1 FROM audit_logs ev WHERE ev.seq = ar.erasure_seq AND ev.action = 'erase_user' AND ev.table_name = 'audit_logs');
  IF v_missing IS NOT NULL THEN
    RETURN QUERY SELECT false, v_count, v_missing, 'redaction entries name an erasure that is not in the log', NULL::bigint;
    RETURN;
  END IF;
  IF v_stray IS NOT NULL THEN
    RETURN QUERY SELECT false, v_count, v_stray, 'a row below the sealed horizon is not in the chain (inserted behind the sealer''s back)', NULL::bigint;
    RETURN;
  END IF;
  IF v_stale IS NOT NULL THEN
    RETURN QUERY SELECT false, v_count, v_stale, format('a row written more than %s ago is not sealed: no sealer runs, or its lock is held', p_stale), v_pending;
    RETURN;
  END IF;
  RETURN QUERY SELECT true, v_count, NULL::bigint, NULL::text, v_pending;
END
$$;

-- >>> migrations/019_doctor_verification.sql (verbatim up part; keep identical)
-- 019_doctor_verification.sql — doctors are verified by an admin before they can pass for one
-- (issue 16, item 3).
--  * users.doctor_verified_at: set by an admin (POST /admin/doctors/:id/verify) after checking
--    the licence; NULL for a new doctor. Only admins, 'system' and the owner's direct SQL may set
--    or clear it; a verified doctor who changes his licence number is unverified again.
--  * A licence number belongs to the verified account: the unique index covers verified doctors
--    only, so an unverified account cannot lock a real doctor out by taking his number first;
--    verifying one doctor clears the number from unverified accounts claiming it (the service).
--  * app_find_invitation also says whether the inviter is a verified doctor (the preview).
ALTER TABLE users ADD COLUMN doctor_verified_at timestamptz;
COMMENT ON COLUMN users.doctor_verified_at IS 'when an admin verified this doctor''s licence (NULL: not verified; he cannot invite patients)';
DROP INDEX idx_users_license_number;
CREATE UNIQUE INDEX idx_users_license_number_verified ON users (license_number)
    WHERE license_number IS NOT NULL AND doctor_verified_at IS NOT NULL;
CREATE INDEX idx_users_license_number ON users (license_number) WHERE license_number IS NOT NULL;

CREATE FUNCTION trg_users_doctor_verification() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
  v_privileged boolean := app_is_admin() OR app_is_system() OR app_is_direct_sql();
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.doctor_verified_at IS NOT NULL AND NOT v_privileged THEN
      RAISE EXCEPTION 'only an admin verifies a doctor' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.doctor_verified_at IS DISTINCT FROM OLD.doctor_verified_at AND NOT v_privileged THEN
    RAISE EXCEPTION 'only an admin verifies a doctor' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.license_number IS DISTINCT FROM OLD.license_number AND OLD.doctor_verified_at IS NOT NULL
     AND NEW.doctor_verified_at IS NOT DISTINCT FROM OLD.doctor_verified_at THEN
    NEW.doctor_verified_at := NULL;  -- a new licence number is checked again
  END IF;
  IF NEW.role <> 'doctor' THEN
    NEW.doctor_verified_at := NULL;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER users_doctor_verification BEFORE INSERT OR UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION trg_users_doctor_verification();

DROP FUNCTION app_find_invitation(text);
CREATE FUNCTION app_find_invitation(p_code text)
RETURNS TABLE (id uuid, doctor_id uuid, patient_id uuid, initiated_by user_role, status relationship_status,
               invitation_expires_at timestamptz, is_expired boolean,
               can_view_prescriptions boolean, can_add_notes boolean, can_modify_reminders boolean,
               inviter_id uuid, inviter_first_name text, inviter_last_name text, inviter_role user_role,
               inviter_specialization text, inviter_hospital_name text, created_at timestamptz,
               inviter_verified boolean)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT r.id, r.doctor_id, r.patient_id, r.initiated_by, r.status, r.invitation_expires_at,
         coalesce(r.invitation_expires_at <= now(), false),
         r.can_view_prescriptions, r.can_add_notes, r.can_modify_reminders,
         i.id, i.first_name, i.last_name, i.role, i.specialization, i.hospital_name, r.created_at,
         CASE WHEN i.role = 'doctor' THEN i.doctor_verified_at IS NOT NULL END
  FROM doctor_patient_relationships r
  JOIN users i ON i.id = CASE WHEN r.initiated_by = 'patient' THEN r.patient_id ELSE r.doctor_id END
  WHERE app_current_user_id() IS NOT NULL
    AND r.invitation_code = upper(btrim(p_code))
    AND r.status = 'pending'
$$;
REVOKE ALL ON FUNCTION app_find_invitation(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_find_invitation(text) TO dastern_app;

-- >>> migrations/020_auth_throttle_push_proof.sql (verbatim up part; keep identical)
-- 020_auth_throttle_push_proof.sql — sign-in throttling that neither tells who has an account
-- nor hands an attacker a denial of service on the victim, and no silent push takeover (issue
-- 16, items 5 and 6; issue 10, item 7).
--  * auth_throttle counts failed sign-ins under three keys, each a sha256 the service computes:
--    the (client IP, e-mail) pair, the e-mail alone (the account, whether it exists or not) and
--    the client IP alone. A key at its limit within the window is blocked with a backoff that
--    doubles with each further failure (from p_base up to p_cap). Keyed by the e-mail address,
--    not the account, an unknown address is throttled exactly like an existing one. The pair
--    limit is low (the attacker's own IP against one address); the account limit higher (many
--    IPs against one address) and the IP limit higher still (one IP spraying addresses): the
--    owner, from another IP, is not locked out by a single attacker, and a password reset
--    lifts every block on the address (app_auth_throttle_lift).
--    users.locked_until / failed_login_count are no longer written by the service (the old
--    function app_auth_record_login_failure stays for compatibility).
--  * app_push_subscribe: an endpoint registered by another account moves only with proof, the
--    same keys (p256dh and auth: the browser's subscription itself); otherwise it is refused
--    (SQLSTATE 23505 on push_subscriptions_endpoint_key, as a unique violation: it is taken).

CREATE TABLE auth_throttle (
    kind          text NOT NULL,          -- 'pair' (ip + e-mail), 'account' (e-mail), 'ip'
    key_hash      text NOT NULL,          -- sha256 hex, computed by the service
    email_hash    text,                   -- sha256 hex of the e-mail ('pair' and 'account'): what a reset lifts
    failures      integer NOT NULL DEFAULT 0,
    window_start  timestamptz NOT NULL DEFAULT now(),
    blocked_until timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT auth_throttle_pkey PRIMARY KEY (kind, key_hash),
    CONSTRAINT auth_throttle_kind_check CHECK (kind IN ('pair', 'account', 'ip')),
    CONSTRAINT auth_throttle_hash_check CHECK (key_hash ~ '^[0-9a-f]{64}$' AND (email_hash IS NULL OR email_hash ~ '^[0-9a-f]{64}$'))
);
CREATE INDEX idx_auth_throttle_email_hash ON auth_throttle (email_hash) WHERE email_hash IS NOT NULL;
CREATE INDEX idx_auth_throttle_updated_at ON auth_throttle (updated_at);
COMMENT ON TABLE auth_throttle IS 'Failed sign-ins per (ip, e-mail), e-mail and ip, as hashes; reached only through app_auth_throttle_* (SECURITY DEFINER).';
ALTER TABLE auth_throttle ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_throttle FORCE ROW LEVEL SECURITY;
REVOKE ALL ON auth_throttle FROM PUBLIC;

-- The latest block among the keys still running, or NULL.
CREATE FUNCTION app_auth_throttle_blocked(p_keys text[]) RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT max(t.blocked_until) FROM auth_throttle t
   WHERE t.kind || ':' || t.key_hash = ANY (p_keys) AND t.blocked_until > now()
$$;

-- Counts one failure under each key (p_limits: the pair's, the account's and the ip's limit)
-- and returns the latest block now running, or NULL. A window that ended without a running
-- block starts again. A new block on an existing account (p_user_id) is audited ('lockout').
CREATE FUNCTION app_auth_throttle_fail(p_pair text, p_account text, p_ip text, p_email_hash text, p_user_id uuid,
                                       p_limits integer[], p_window interval, p_base interval, p_cap interval)
RETURNS timestamptz
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_kinds text[] := ARRAY['pair', 'account', 'ip'];
  v_keys text[] := ARRAY[p_pair, p_account, p_ip];
  v_until timestamptz;
  v_latest timestamptz;
  r auth_throttle%ROWTYPE;
BEGIN
  IF p_limits IS NULL OR array_length(p_limits, 1) <> 3 OR p_window IS NULL OR p_base IS NULL OR p_cap IS NULL THEN
    RAISE EXCEPTION 'invalid throttle parameters' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOR i IN 1..3 LOOP
    CONTINUE WHEN v_keys[i] IS NULL;
    INSERT INTO auth_throttle AS t (kind, key_hash, email_hash, failures)
    VALUES (v_kinds[i], v_keys[i], CASE WHEN v_kinds[i] <> 'ip' THEN p_email_hash END, 1)
    ON CONFLICT (kind, key_hash) DO UPDATE
       SET failures = CASE WHEN t.window_start <= now() - p_window AND coalesce(t.blocked_until <= now(), true) THEN 1 ELSE t.failures + 1 END,
           window_start = CASE WHEN t.window_start <= now() - p_window AND coalesce(t.blocked_until <= now(), true) THEN now() ELSE t.window_start END,
           updated_at = now()
    RETURNING t.* INTO r;
    IF r.failures >= p_limits[i] THEN
      v_until := now() + least(p_cap, p_base * power(2, least(r.failures - p_limits[i], 20)));
      UPDATE auth_throttle SET blocked_until = v_until WHERE kind = r.kind AND key_hash = r.key_hash;
      IF p_user_id IS NOT NULL AND v_kinds[i] <> 'ip' THEN
        INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id, subject_user_id, new_values, ip_address, user_agent)
        VALUES (NULL, app_current_role(), 'lockout', 'users', p_user_id::text, p_user_id,
                jsonb_build_object('scope', v_kinds[i], 'blocked_until', v_until, 'failures', r.failures),
                app_client_ip(), left(nullif(current_setting('app.user_agent', true), ''), 1024));
      END IF;
      v_latest := greatest(v_latest, v_until);
    ELSIF r.blocked_until > now() THEN
      v_latest := greatest(v_latest, r.blocked_until);
    END IF;
  END LOOP;
  RETURN v_latest;
END
$$;

-- A successful sign-in: the pair and the account start afresh (the ip's count stays).
CREATE FUNCTION app_auth_throttle_clear(p_pair text, p_account text) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  DELETE FROM auth_throttle WHERE (kind = 'pair' AND key_hash = p_pair) OR (kind = 'account' AND key_hash = p_account)
$$;

-- A password reset (the owner proved she reads the mailbox): every block on the address goes.
CREATE FUNCTION app_auth_throttle_lift(p_email_hash text) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_n integer;
BEGIN
  DELETE FROM auth_throttle WHERE email_hash = p_email_hash;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  UPDATE users SET locked_until = NULL, failed_login_count = 0, failed_login_window_start = NULL
   WHERE id = app_current_user_id() AND locked_until IS NOT NULL;
  RETURN v_n;
END
$$;

-- Rows whose window and block are long over (maintenance may call it; 'system' or the owner).
CREATE FUNCTION app_auth_throttle_cleanup(p_older_than interval DEFAULT interval '1 day') RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_n integer;
BEGIN
  IF NOT (app_is_system() OR app_is_direct_sql()) THEN
    RAISE EXCEPTION 'permission denied' USING ERRCODE = 'insufficient_privilege';
  END IF;
  DELETE FROM auth_throttle WHERE updated_at < now() - p_older_than AND coalesce(blocked_until < now(), true);
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;

REVOKE ALL ON FUNCTION app_auth_throttle_blocked(text[]), app_auth_throttle_fail(text, text, text, text, uuid, integer[], interval, interval, interval),
    app_auth_throttle_clear(text, text), app_auth_throttle_lift(text), app_auth_throttle_cleanup(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_auth_throttle_blocked(text[]), app_auth_throttle_fail(text, text, text, text, uuid, integer[], interval, interval, interval),
    app_auth_throttle_clear(text, text), app_auth_throttle_lift(text), app_auth_throttle_cleanup(interval) TO dastern_app;

-- Push: another account's endpoint moves only with the same keys (proof of the subscription).
CREATE OR REPLACE FUNCTION app_push_subscribe(p_endpoint text, p_p256dh text, p_auth text, p_user_agent text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_me uuid := app_current_user_id();
  v_id uuid;
  v_owner uuid;
  v_same_keys boolean;
BEGIN
  IF v_me IS NULL OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = v_me AND u.is_active AND u.deleted_at IS NULL) THEN
    RAISE EXCEPTION 'permission denied: push subscriptions need a signed-in user' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT s.user_id, (s.p256dh = p_p256dh AND s.auth = p_auth) INTO v_owner, v_same_keys
    FROM push_subscriptions s WHERE s.endpoint = p_endpoint FOR UPDATE;
  IF FOUND AND v_owner <> v_me AND NOT v_same_keys THEN
    RAISE EXCEPTION 'this push endpoint belongs to another account' USING ERRCODE = 'unique_violation', CONSTRAINT = 'push_subscriptions_endpoint_key';
  END IF;
  INSERT INTO push_subscriptions AS s (user_id, endpoint, p256dh, auth, user_agent)
  VALUES (v_me, p_endpoint, p_p256dh, p_auth, left(p_user_agent, 1024))
  ON CONFLICT (endpoint) DO UPDATE
     SET user_id = EXCLUDED.user_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth,
         user_agent = EXCLUDED.user_agent, failure_count = 0, disabled_at = NULL
  RETURNING s.id INTO v_id;
  RETURN v_id;
END
$$;

-- >>> migrations/021_billing.sql (verbatim up part; keep identical)
-- 021_billing.sql — the money path (issue 15; CONTRACTS §5).
--  * Money in integer minor units: subscription_plans.price_usd_cents (derived from the seed's
--    numeric price_amount) and price_khr (riel; the riel has no minor unit in use, so 1 = 1 riel);
--    payment_transactions.amount_minor (cents for USD, riel for KHR) derived from amount, which
--    the service writes from integers only ($minor / 100 in numeric, never a float).
--  * payment_status gains 'expired' (a pending payment nobody paid before expires_at).
--  * payment_status_history: one row per status change, append-only (no UPDATE or DELETE grant,
--    and a trigger refusing both even to the owner), visible to whoever sees the payment.
--  * payment_webhook_events: each gateway event id once (a replay or duplicate changes nothing).
--  * billing_alerts: what an admin must look at (a webhook amount that differs from the order).
--  * credited_at: the instant the subscription was extended for a payment (exactly once).
--  * prescription_is_writable(id): a free user's prescriptions beyond the free limit (oldest
--    first) are read-only until she upgrades; nothing is deleted.

ALTER TYPE payment_status ADD VALUE IF NOT EXISTS 'expired';

ALTER TABLE subscription_plans
    ADD COLUMN price_usd_cents integer GENERATED ALWAYS AS ((price_amount * 100)::integer) STORED,
    ADD COLUMN price_khr bigint NOT NULL DEFAULT 0,
    ADD CONSTRAINT subscription_plans_price_khr_check CHECK (price_khr >= 0 AND (tier <> 'free' OR price_khr = 0)),
    ADD CONSTRAINT subscription_plans_price_cents_check CHECK (price_amount * 100 = trunc(price_amount * 100));
UPDATE subscription_plans SET price_khr = 2000 WHERE code = 'premium_monthly';
UPDATE subscription_plans SET price_khr = 20000 WHERE code = 'premium_yearly';

ALTER TABLE payment_transactions
    ADD COLUMN amount_minor bigint GENERATED ALWAYS AS ((CASE WHEN currency = 'KHR' THEN amount ELSE amount * 100 END)::bigint) STORED,
    ADD COLUMN expires_at timestamptz,
    ADD COLUMN credited_at timestamptz,
    ADD CONSTRAINT payment_transactions_khr_whole_check CHECK (currency <> 'KHR' OR amount = trunc(amount));
CREATE INDEX idx_payment_transactions_pending_expiry ON payment_transactions (expires_at) WHERE status = 'pending';

ALTER TABLE user_subscriptions ADD COLUMN renewal_reminded_for timestamptz;

CREATE TABLE payment_status_history (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_id      uuid NOT NULL REFERENCES payment_transactions (id) ON DELETE RESTRICT,
    from_status     payment_status,
    to_status       payment_status NOT NULL,
    source          text NOT NULL,
    reason          text,
    event_id        text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payment_status_history_source_check CHECK (source ~ '^[a-z][a-z0-9_]{1,31}$'),
    CONSTRAINT payment_status_history_reason_check CHECK (length(reason) <= 500)
);
CREATE INDEX idx_payment_status_history_payment_id ON payment_status_history (payment_id, id);

CREATE OR REPLACE FUNCTION trg_append_only() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON payment_status_history FOR EACH ROW
    EXECUTE FUNCTION trg_append_only();

CREATE TABLE payment_webhook_events (
    gateway         text NOT NULL,
    event_id        text NOT NULL,
    event_type      text NOT NULL,
    payment_id      uuid REFERENCES payment_transactions (id) ON DELETE RESTRICT,
    outcome         text NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (gateway, event_id),
    CONSTRAINT payment_webhook_events_event_id_check CHECK (length(event_id) BETWEEN 1 AND 255)
);
CREATE INDEX idx_payment_webhook_events_payment_id ON payment_webhook_events (payment_id);

CREATE TABLE billing_alerts (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind            text NOT NULL,
    payment_id      uuid REFERENCES payment_transactions (id) ON DELETE RESTRICT,
    gateway         text,
    details         jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT billing_alerts_kind_check CHECK (kind ~ '^[a-z][a-z0-9_]{1,63}$'),
    CONSTRAINT billing_alerts_details_check CHECK (jsonb_typeof(details) = 'object')
);
CREATE INDEX idx_billing_alerts_created_at ON billing_alerts (created_at DESC);
CREATE INDEX idx_billing_alerts_payment_id ON billing_alerts (payment_id);

ALTER TABLE payment_status_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE payment_status_history FORCE ROW LEVEL SECURITY;
ALTER TABLE payment_webhook_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE payment_webhook_events FORCE ROW LEVEL SECURITY;
ALTER TABLE billing_alerts ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_alerts FORCE ROW LEVEL SECURITY;

-- history: seen with its payment (the payer, admins, 'system'); written by billing ('system') and admins
CREATE POLICY payment_status_history_select ON payment_status_history FOR SELECT USING (
    (SELECT app_is_admin()) OR (SELECT app_is_system())
    OR EXISTS (SELECT 1 FROM payment_transactions p WHERE p.id = payment_id));
CREATE POLICY payment_status_history_insert ON payment_status_history FOR INSERT
    WITH CHECK ((SELECT app_is_admin()) OR (SELECT app_is_system()));
CREATE POLICY payment_webhook_events_all ON payment_webhook_events FOR ALL
    USING ((SELECT app_is_admin()) OR (SELECT app_is_system()))
    WITH CHECK ((SELECT app_is_system()));
CREATE POLICY billing_alerts_all ON billing_alerts FOR ALL
    USING ((SELECT app_is_admin()) OR (SELECT app_is_system()))
    WITH CHECK ((SELECT app_is_system()));

GRANT SELECT, INSERT ON payment_status_history, payment_webhook_events, billing_alerts TO dastern_app;
GRANT UPDATE (outcome) ON payment_webhook_events TO dastern_app;

CREATE TRIGGER audit_row_change AFTER INSERT OR UPDATE OR DELETE ON billing_alerts FOR EACH ROW
    EXECUTE FUNCTION trg_audit_row_change('id');

-- May the patient still change this prescription? Premium (or a plan without a prescription
-- limit): yes. Free: only her oldest max_prescriptions non-deleted prescriptions; the newer ones
-- stay readable but frozen until she upgrades. An unknown or deleted id answers true (the
-- caller's own lookup answers 404).
CREATE OR REPLACE FUNCTION prescription_is_writable(p_prescription_id uuid) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_patient uuid;
  v_created timestamptz;
  v_limits jsonb;
  v_rank integer;
BEGIN
  SELECT p.patient_id, p.created_at INTO v_patient, v_created
  FROM prescriptions p WHERE p.id = p_prescription_id AND p.deleted_at IS NULL;
  IF NOT FOUND THEN
    RETURN true;
  END IF;
  IF NOT app_can_act_for(v_patient) THEN
    RAISE EXCEPTION 'permission denied for another user''s prescription' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT pl.limits INTO v_limits
  FROM user_subscriptions s JOIN subscription_plans pl ON pl.id = s.plan_id
  WHERE s.user_id = v_patient AND s.status IN ('active', 'trialing')
    AND s.current_period_start <= now() AND s.current_period_end > now()
  ORDER BY (pl.tier = 'premium') DESC, s.current_period_end DESC
  LIMIT 1;
  IF NOT FOUND THEN
    SELECT pl.limits INTO v_limits FROM subscription_plans pl WHERE pl.code = 'free';
    v_limits := coalesce(v_limits, '{"max_prescriptions": 10}'::jsonb);
  END IF;
  IF jsonb_typeof(v_limits -> 'max_prescriptions') IS DISTINCT FROM 'number' THEN
    RETURN true;
  END IF;
  SELECT count(*)::integer INTO v_rank FROM prescriptions p
  WHERE p.patient_id = v_patient AND p.deleted_at IS NULL
    AND (p.created_at, p.id) <= (v_created, p_prescription_id);
  RETURN v_rank <= (v_limits ->> 'max_prescriptions')::numeric::integer;
END
$$;
REVOKE ALL ON FUNCTION prescription_is_writable(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION prescription_is_writable(uuid) TO dastern_app;

-- >>> migrations/024_drug_knowledge.sql (verbatim up part; keep identical)
-- 024_drug_knowledge.sql — the drug safety knowledge base (issue 14), in its own schema `kb`:
-- reference data, no personal data (so no RLS), read by the service, written only through
-- kb.load(). The source of truth is src/safety/knowledge/*.json in the repository: the service
-- calls kb.load() with the files' contents when it starts, and the function replaces the rows
-- only when the files' sha256 differs from the loaded one (one transaction, idempotent).
CREATE SCHEMA kb;

CREATE TABLE kb.meta (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version     text NOT NULL,
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE kb.sources (
    id          text PRIMARY KEY,
    title       text NOT NULL,
    publisher   text,
    url         text,
    licence     text NOT NULL
);

CREATE TABLE kb.ingredients (
    id                  text PRIMARY KEY CHECK (id ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    kind                text NOT NULL CHECK (kind IN ('medicine', 'food')),
    name                text NOT NULL,
    atc                 text,
    class               text,
    components          text[] NOT NULL DEFAULT '{}',
    groups              text[] NOT NULL DEFAULT '{}',
    allergy_groups      text[] NOT NULL DEFAULT '{}',
    brands              text[] NOT NULL DEFAULT '{}',
    max_daily_mg        numeric(10, 3) CHECK (max_daily_mg > 0),
    pregnancy           text CHECK (pregnancy IN ('caution', 'avoid', 'contraindicated')),
    breastfeeding       text CHECK (breastfeeding IN ('caution', 'avoid', 'contraindicated')),
    sources             text[] NOT NULL CHECK (cardinality(sources) > 0),
    licence             text NOT NULL
);

CREATE TABLE kb.interactions (
    id          text PRIMARY KEY,
    a           text NOT NULL,
    b           text NOT NULL,
    severity    text NOT NULL CHECK (severity IN ('info', 'moderate', 'major', 'contraindicated')),
    effect      text NOT NULL,
    note        text NOT NULL,
    sources     text[] NOT NULL CHECK (cardinality(sources) > 0),
    licence     text NOT NULL
);
CREATE INDEX kb_interactions_a ON kb.interactions (a);
CREATE INDEX kb_interactions_b ON kb.interactions (b);

-- Replaces the knowledge base with p_doc ({sources, ingredients, interactions}) unless the
-- loaded one already has p_sha256. Returns true when it loaded.
CREATE FUNCTION kb.load(p_version text, p_sha256 text, p_doc jsonb) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = kb, pg_temp
AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(727374828);
  IF EXISTS (SELECT 1 FROM kb.meta WHERE sha256 = p_sha256) THEN
    RETURN false;
  END IF;
  DELETE FROM kb.interactions;
  DELETE FROM kb.ingredients;
  DELETE FROM kb.sources;
  INSERT INTO kb.sources (id, title, publisher, url, licence)
  SELECT s.id, s.title, s.publisher, s.url, s.licence
  FROM jsonb_to_recordset(p_doc -> 'sources') AS s(id text, title text, publisher text, url text, licence text);
  INSERT INTO kb.ingredients (id, kind, name, atc, class, components, groups, allergy_groups, brands, max_daily_mg,
                              pregnancy, breastfeeding, sources, licence)
  SELECT i.id, i.kind, i.name, i.atc, i.class, coalesce(i.components, '{}'), coalesce(i.groups, '{}'),
         coalesce(i.allergy_groups, '{}'), coalesce(i.brands, '{}'), i.max_daily_mg, i.pregnancy, i.breastfeeding,
         i.sources, i.licence
  FROM jsonb_to_recordset(p_doc -> 'ingredients') AS i(id text, kind text, name text, atc text, class text,
       components text[], groups text[], allergy_groups text[], brands text[], max_daily_mg numeric,
       pregnancy text, breastfeeding text, sources text[], licence text);
  INSERT INTO kb.interactions (id, a, b, severity, effect, note, sources, licence)
  SELECT x.id, x.a, x.b, x.severity, x.effect, x.note, x.sources, x.licence
  FROM jsonb_to_recordset(p_doc -> 'interactions') AS x(id text, a text, b text, severity text, effect text,
       note text, sources text[], licence text);
  INSERT INTO kb.meta (singleton, version, sha256, loaded_at) VALUES (true, p_version, p_sha256, now())
  ON CONFLICT (singleton) DO UPDATE SET version = EXCLUDED.version, sha256 = EXCLUDED.sha256, loaded_at = EXCLUDED.loaded_at;
  RETURN true;
END
$$;

REVOKE ALL ON SCHEMA kb FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA kb FROM PUBLIC;
REVOKE ALL ON FUNCTION kb.load(text, text, jsonb) FROM PUBLIC;
GRANT USAGE ON SCHEMA kb TO dastern_app;
GRANT SELECT ON ALL TABLES IN SCHEMA kb TO dastern_app;
GRANT EXECUTE ON FUNCTION kb.load(text, text, jsonb) TO dastern_app;

-- >>> migrations/025_ai_assistant.sql (verbatim up part; keep identical)
-- 025_ai_assistant.sql — the AI assistant (issue 14): a conversation records whether the user
-- agreed that a minimal extract of her record (medicine names, strengths, dose slots) may be sent
-- to an external language model. Off by default: without it an external provider receives
-- only her question and knowledge-base facts, never her record.
ALTER TABLE ai_chat_conversations
    ADD COLUMN share_record_with_provider boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN ai_chat_conversations.share_record_with_provider IS
    'Consent: a minimal extract of the record may reach an external AI provider (never names, dates of birth or doctors).';
-- which provider answered and whether the guardrails refused or routed to 119
ALTER TABLE ai_chat_messages
    ADD COLUMN refused boolean NOT NULL DEFAULT false,
    ADD COLUMN guard text CHECK (guard IN ('emergency', 'diagnosis', 'dose_change', 'injection', 'output_filtered'));

-- >>> migrations/026_users_column_grants.sql (verbatim up part; keep identical)
-- 026_users_column_grants.sql — the service may read the columns added to users after 014.
--
-- Since 014 the service's roles read users column by column (password_hash is not among them),
-- so a column added later is invisible to them until granted: 019's doctor_verified_at (the
-- invitation preview and the admin's doctor list read it). Every later migration that adds a
-- column to users grants it the same way.

GRANT SELECT (doctor_verified_at) ON users TO dastern_app;

-- >>> migrations/030_partitioned_logs.sql (verbatim up part; keep identical)
-- 030_partitioned_logs.sql — medication_reminder_logs, audit_logs and usage_analytics become
-- natively partitioned by month (issue 17), so that old months can leave the live tables
-- without a DELETE.
--  * Partition keys: medication_reminder_logs.scheduled_for (the dose's time), audit_logs.created_at,
--    usage_analytics.occurred_at. Bounds are UTC months; partitions are named <table>_pYYYY_MM.
--    Each table also has a DEFAULT partition (<table>_default): a row outside every month made
--    (a back-dated test row, a dose far ahead) lands there instead of failing.
--  * A unique constraint of a partitioned table must contain the partition key: the primary keys
--    become (id, key) and audit_logs' UNIQUE (seq) becomes (seq, created_at); seq stays unique
--    because only the sequence gives it (trigger audit_logs_prepare). The dispatcher's and the
--    patient's upsert target keeps its name and columns: medication_reminder_logs_reminder_id_scheduled_for_key
--    (reminder_id, scheduled_for) already contains the key.
--  * app_partitions_ensure(months_ahead) makes the partitions of this month and the next ones
--    (the maintenance job daily and `dastern maintenance partitions`; `dastern serve` at start).
--    A month whose rows already sit in the default partition is left there and named in a WARNING.
--  * A partitioned table cannot RETURN a system column: `RETURNING (xmax = 0)` after an upsert
--    fails ("cannot retrieve a system column in this context"); writeLog uses created_at = now().
--  * Partitions get RLS enabled and forced with no policy of their own: the service's roles reach
--    the rows only through the parent (its policies; they have no grant on a partition).
--  * A writer's audit time is still not its own (trg_audit_logs_prepare): a time of this month is
--    replaced by the clock as before; one of another month is refused (a BEFORE trigger may not
--    move a row to another partition), where 012 replaced it silently.
--  * Retention archives, never deletes: app_partitions_archive(table, keep_months) DETACHes the
--    months before the kept ones of medication_reminder_logs or usage_analytics and moves them
--    to schema `archive` (no grants to the service's roles; the rows stay, with their foreign
--    keys: erasing an account still cascades into them; ATTACH PARTITION brings one back).
--    audit_logs is refused: the hash chain (app_audit_verify) and the erasure's redaction
--    (app_audit_erase_user) must reach every audit row, so its months stay attached.
--  * The existing rows are copied as they are (the triggers are created after the copy: no
--    counter counted twice, no audit seq or time given anew), so the sealed chain verifies.
-- This migration is mirrored at the end of schema.sql.

CREATE SCHEMA archive;
REVOKE ALL ON SCHEMA archive FROM PUBLIC;
COMMENT ON SCHEMA archive IS 'Detached monthly partitions past retention (app_partitions_archive): kept, never deleted; owner only.';

-- ---------------------------------------------------------------- helpers
-- The partitioned tables and their keys.
CREATE FUNCTION app_partitioned_tables() RETURNS TABLE (table_name text, key_column text)
LANGUAGE sql IMMUTABLE
AS $$
  VALUES ('medication_reminder_logs', 'scheduled_for'), ('audit_logs', 'created_at'), ('usage_analytics', 'occurred_at')
$$;

-- Creates one month's partition of p_table unless it exists (here or archived) or the default
-- partition already holds rows of that month (then a WARNING names it). Returns true when made.
CREATE FUNCTION app_partition_create(p_table text, p_month date) RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = public, pg_temp
AS $$
DECLARE
  v_key text;
  v_name text := format('%s_p%s', p_table, to_char(p_month, 'YYYY_MM'));
  v_from timestamptz := (date_trunc('month', p_month::timestamp) AT TIME ZONE 'UTC');
  v_to timestamptz := ((date_trunc('month', p_month::timestamp) + interval '1 month') AT TIME ZONE 'UTC');
  v_taken boolean;
BEGIN
  SELECT t.key_column INTO v_key FROM app_partitioned_tables() t WHERE t.table_name = p_table;
  IF v_key IS NULL THEN
    RAISE EXCEPTION '% is not a partitioned log table', p_table USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relname = v_name AND n.nspname IN ('public', 'archive')) THEN
    RETURN false;
  END IF;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM public.%I WHERE %I >= $1 AND %I < $2)', p_table || '_default', v_key, v_key)
    INTO v_taken USING v_from, v_to;
  IF v_taken THEN
    RAISE WARNING 'partition % not made: rows of that month are in %_default', v_name, p_table;
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE public.%I PARTITION OF public.%I FOR VALUES FROM (%L) TO (%L)', v_name, p_table, v_from, v_to);
  -- read and written through the parent (its policies); directly, by no one but the owner
  EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', v_name);
  RETURN true;
END
$$;

-- The partitions of this month (UTC) and the p_months_ahead next ones, for every table.
-- Returns how many were made. 'system' (the jobs' login) or the owner's direct SQL only.
CREATE FUNCTION app_partitions_ensure(p_months_ahead integer DEFAULT 3) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
SET lock_timeout = '10s'
AS $$
DECLARE
  t record;
  v_made integer := 0;
BEGIN
  IF NOT (app_is_system() OR app_is_direct_sql()) THEN
    RAISE EXCEPTION 'permission denied to make partitions' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF p_months_ahead IS NULL OR p_months_ahead NOT BETWEEN 0 AND 36 THEN
    RAISE EXCEPTION 'months ahead must be between 0 and 36' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- one maker at a time (the daily job on several workers, serve's start)
  PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('dastern'), pg_catalog.hashtext('partitions'));
  FOR t IN SELECT * FROM app_partitioned_tables() LOOP
    FOR i IN 0 .. p_months_ahead LOOP
      IF app_partition_create(t.table_name, (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => i))::date) THEN
        v_made := v_made + 1;
      END IF;
    END LOOP;
  END LOOP;
  RETURN v_made;
END
$$;

-- Retention: the monthly partitions of p_table that end before the first of the p_keep_months
-- months kept (this month included) are detached and moved to schema archive, never deleted.
-- medication_reminder_logs and usage_analytics only (audit_logs: see the header).
CREATE FUNCTION app_partitions_archive(p_table text, p_keep_months integer)
RETURNS TABLE (partition_name text, row_count bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
SET lock_timeout = '10s'
AS $$
DECLARE
  p record;
  v_cutoff timestamptz;
  v_rows bigint;
BEGIN
  IF NOT (app_is_system() OR app_is_direct_sql()) THEN
    RAISE EXCEPTION 'permission denied to archive partitions' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF p_table = 'audit_logs' THEN
    RAISE EXCEPTION 'audit_logs is never detached: the hash chain and erasure must reach every row' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_table NOT IN ('medication_reminder_logs', 'usage_analytics') THEN
    RAISE EXCEPTION '% is not an archivable log table', p_table USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_keep_months IS NULL OR p_keep_months < 1 THEN
    RAISE EXCEPTION 'keep at least one month' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('dastern'), pg_catalog.hashtext('partitions'));
  v_cutoff := (date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => p_keep_months - 1)) AT TIME ZONE 'UTC';
  FOR p IN
    SELECT c.relname::text AS name
      FROM pg_catalog.pg_inherits i
      JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = format('public.%I', p_table)::regclass
       AND c.relname ~ '_p[0-9]{4}_[0-9]{2}$'
       AND ((to_date(substring(c.relname from '_p([0-9]{4}_[0-9]{2})$'), 'YYYY_MM') + interval '1 month') AT TIME ZONE 'UTC') <= v_cutoff
     ORDER BY c.relname
  LOOP
    EXECUTE format('SELECT count(*) FROM public.%I', p.name) INTO v_rows;
    EXECUTE format('ALTER TABLE public.%I DETACH PARTITION public.%I', p_table, p.name);
    EXECUTE format('ALTER TABLE public.%I SET SCHEMA archive', p.name);
    partition_name := 'archive.' || p.name;
    row_count := v_rows;
    RETURN NEXT;
  END LOOP;
END
$$;

REVOKE ALL ON FUNCTION app_partition_create(text, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION app_partitions_ensure(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION app_partitions_archive(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_partitions_ensure(integer) TO dastern_worker;
GRANT EXECUTE ON FUNCTION app_partitions_archive(text, integer) TO dastern_worker;

-- Makes the partitions from the month of the oldest existing row (or this month) to 3 months ahead.
CREATE OR REPLACE FUNCTION pg_temp.make_partitions(p_table text, p_oldest timestamptz) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  m date := date_trunc('month', coalesce(least(p_oldest, now()), now()) AT TIME ZONE 'UTC')::date;
BEGIN
  EXECUTE format('CREATE TABLE public.%I PARTITION OF public.%I DEFAULT', p_table || '_default', p_table);
  EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', p_table || '_default');
  WHILE m <= (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months')::date LOOP
    PERFORM public.app_partition_create(p_table, m);
    m := (m + interval '1 month')::date;
  END LOOP;
END
$$;


-- Copies the triggers of the old table onto the new one (after the rows: no counter counted
-- twice, no audit seq given anew): whatever set the earlier migrations left there.
CREATE OR REPLACE FUNCTION pg_temp.copy_triggers(p_from text, p_to text) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  d text;
BEGIN
  FOR d IN SELECT pg_catalog.pg_get_triggerdef(t.oid) FROM pg_catalog.pg_trigger t
            WHERE t.tgrelid = format('public.%I', p_from)::regclass AND NOT t.tgisinternal ORDER BY t.tgname LOOP
    EXECUTE replace(d, format(' ON public.%s ', p_from), format(' ON public.%s ', p_to));
  END LOOP;
END
$$;

-- ---------------------------------------------------------------- medication_reminder_logs
ALTER TABLE medication_reminder_logs RENAME TO medication_reminder_logs_unpartitioned;
CREATE TABLE medication_reminder_logs (
    LIKE medication_reminder_logs_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMMENTS
) PARTITION BY RANGE (scheduled_for);
SELECT pg_temp.make_partitions('medication_reminder_logs', (SELECT min(scheduled_for) FROM medication_reminder_logs_unpartitioned));
INSERT INTO medication_reminder_logs SELECT * FROM medication_reminder_logs_unpartitioned;
SELECT pg_temp.copy_triggers('medication_reminder_logs_unpartitioned', 'medication_reminder_logs');
DROP TABLE medication_reminder_logs_unpartitioned;
ALTER TABLE medication_reminder_logs
    ADD CONSTRAINT medication_reminder_logs_pkey PRIMARY KEY (id, scheduled_for),
    -- one log per dose: the dispatcher and the patient both upsert on this key
    ADD CONSTRAINT medication_reminder_logs_reminder_id_scheduled_for_key UNIQUE (reminder_id, scheduled_for),
    ADD CONSTRAINT medication_reminder_logs_reminder_fkey FOREIGN KEY (reminder_id, patient_id)
        REFERENCES medication_reminders (id, patient_id) ON DELETE CASCADE;
CREATE INDEX idx_medication_reminder_logs_open ON medication_reminder_logs (scheduled_for) WHERE status IN ('pending', 'snoozed');
CREATE INDEX idx_medication_reminder_logs_patient_id_scheduled_for ON medication_reminder_logs (patient_id, scheduled_for DESC);
ALTER TABLE medication_reminder_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE medication_reminder_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY medication_reminder_logs_select ON medication_reminder_logs FOR SELECT USING (
    patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_admin()) OR (SELECT app_is_system())
    OR patient_id = ANY ((SELECT app_doctor_patient_ids('view_prescriptions'))::uuid[]));
CREATE POLICY medication_reminder_logs_write ON medication_reminder_logs FOR ALL
    USING (patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()))
    WITH CHECK (patient_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));
GRANT SELECT, INSERT, UPDATE, DELETE ON medication_reminder_logs TO dastern_app;

-- ---------------------------------------------------------------- audit_logs
ALTER SEQUENCE audit_logs_seq OWNED BY NONE;
ALTER TABLE audit_logs RENAME TO audit_logs_unpartitioned;
CREATE TABLE audit_logs (
    LIKE audit_logs_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMMENTS
) PARTITION BY RANGE (created_at);
SELECT pg_temp.make_partitions('audit_logs', (SELECT min(created_at) FROM audit_logs_unpartitioned));
INSERT INTO audit_logs SELECT * FROM audit_logs_unpartitioned;
SELECT pg_temp.copy_triggers('audit_logs_unpartitioned', 'audit_logs');
DROP TABLE audit_logs_unpartitioned;
ALTER SEQUENCE audit_logs_seq OWNED BY audit_logs.seq;
-- the row's time is routed by this default; the trigger keeps a time this fresh (see below)
ALTER TABLE audit_logs ALTER COLUMN created_at SET DEFAULT clock_timestamp();
ALTER TABLE audit_logs
    ADD CONSTRAINT audit_logs_pkey PRIMARY KEY (id, created_at),
    ADD CONSTRAINT audit_logs_seq_key UNIQUE (seq, created_at);
CREATE INDEX idx_audit_logs_action ON audit_logs (action, created_at);
CREATE INDEX idx_audit_logs_actor_user_id ON audit_logs (actor_user_id, created_at DESC) WHERE actor_user_id IS NOT NULL;
CREATE INDEX idx_audit_logs_created_at ON audit_logs (created_at);
CREATE INDEX idx_audit_logs_subject_user_id ON audit_logs (subject_user_id, created_at DESC) WHERE subject_user_id IS NOT NULL;
CREATE INDEX idx_audit_logs_table_name_resource_id ON audit_logs (table_name, resource_id);

-- As 012's, but a writer's time is replaced only when it is not the fresh default: a partition
-- is chosen before a BEFORE trigger runs, and a time moved into another month there would fail
-- the insert ("moving row to another partition"). A forged time (older than a second or ahead)
-- is still replaced by the clock; one of another month then fails the insert. The owner's direct
-- SQL keeps its time (it could as well disable the trigger): an UPDATE that moves a row to
-- another month re-inserts it there through this trigger, which must not fail (verify then
-- names the row, as before).
CREATE OR REPLACE FUNCTION trg_audit_logs_prepare() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM pg_catalog.pg_current_xact_id();
  NEW.seq := pg_catalog.nextval('public.audit_logs_seq');
  IF (NEW.created_at IS NULL OR NEW.created_at > pg_catalog.clock_timestamp()
      OR NEW.created_at < pg_catalog.clock_timestamp() - interval '1 second')
     AND NOT public.app_is_direct_sql() THEN
    NEW.created_at := pg_catalog.clock_timestamp();
  END IF;
  NEW.redacted_at := NULL;
  IF pg_catalog.pg_trigger_depth() = 1 THEN
    NEW.old_values := public.app_audit_redact(NEW.old_values);
    NEW.new_values := public.app_audit_redact(NEW.new_values);
  END IF;
  RETURN NEW;
END
$$;
ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_logs_insert ON audit_logs FOR INSERT WITH CHECK (
    actor_user_id IS NULL OR actor_user_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));
CREATE POLICY audit_logs_select ON audit_logs FOR SELECT USING ((SELECT app_is_admin()));
GRANT SELECT, INSERT ON audit_logs TO dastern_app;   -- never UPDATE or DELETE

-- ---------------------------------------------------------------- usage_analytics
ALTER TABLE usage_analytics RENAME TO usage_analytics_unpartitioned;
CREATE TABLE usage_analytics (
    LIKE usage_analytics_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMMENTS
) PARTITION BY RANGE (occurred_at);
SELECT pg_temp.make_partitions('usage_analytics', (SELECT min(occurred_at) FROM usage_analytics_unpartitioned));
INSERT INTO usage_analytics SELECT * FROM usage_analytics_unpartitioned;
SELECT pg_temp.copy_triggers('usage_analytics_unpartitioned', 'usage_analytics');
DROP TABLE usage_analytics_unpartitioned;
ALTER TABLE usage_analytics
    ADD CONSTRAINT usage_analytics_pkey PRIMARY KEY (id, occurred_at),
    ADD CONSTRAINT usage_analytics_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX idx_usage_analytics_event_type_occurred_at ON usage_analytics (event_type, occurred_at);
CREATE INDEX idx_usage_analytics_user_id_event_type_occurred_at ON usage_analytics (user_id, event_type, occurred_at);
ALTER TABLE usage_analytics ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_analytics FORCE ROW LEVEL SECURITY;
CREATE POLICY usage_analytics_insert ON usage_analytics FOR INSERT WITH CHECK (
    user_id IS NULL OR user_id = (SELECT app_current_user_id()) OR (SELECT app_is_system()));
CREATE POLICY usage_analytics_select ON usage_analytics FOR SELECT USING ((SELECT app_is_admin()) OR (SELECT app_is_system()));
GRANT SELECT, INSERT ON usage_analytics TO dastern_app;

DROP FUNCTION pg_temp.make_partitions(text, timestamptz);
DROP FUNCTION pg_temp.copy_triggers(text, text);

