#!/bin/sh
# Keeps database/ in step after editing schema.sql, functions/user_functions.sql or a migration:
#  001 up = the core of schema.sql (its text before the first "-- >>> migrations/" line)
#  002 up = the core of functions/user_functions.sql
#  every later migration is mirrored verbatim (its up part) as a "-- >>> migrations/NNN_x.sql"
#  section at the end of schema.sql (SCHEMA_MIRRORS) or user_functions.sql (FUNC_MIRRORS).
# Usage: sh database/tools/sync.sh   (then: npx vitest run test/database/files.test.ts test/db)
set -e
cd "$(dirname "$0")/.."
SCHEMA_MIRRORS="migrations/003_api_support.sql migrations/005_service_role_no_context.sql migrations/006_push_subscriptions.sql migrations/008_prescription_list_covering.sql migrations/010_notify_per_statement.sql migrations/012_audit_sealed_chain.sql migrations/013_clinical_notes_privacy.sql migrations/014_worker_role.sql migrations/015_dose_states_own_medicines.sql migrations/016_party_names_stream_tickets.sql migrations/017_notification_message_key.sql migrations/018_audit_erasure_sealed.sql migrations/019_doctor_verification.sql migrations/020_auth_throttle_push_proof.sql migrations/021_billing.sql migrations/024_drug_knowledge.sql migrations/025_ai_assistant.sql migrations/026_users_column_grants.sql"
FUNC_MIRRORS="migrations/004_reminder_dispatch.sql migrations/007_active_reminders_fast.sql migrations/009_dispatch_speed.sql migrations/011_dispatch_merge.sql migrations/035_dispatch_conflict_targets.sql"
down() { sed -n '/^\/\* migrate:down/,$p' "$1"; }
up() { sed '/^\/\* migrate:down/,$d' "$1"; }
core() { sed '/^-- >>> migrations\//,$d' "$1"; }
build() { # file mirrors...
  f=$1; shift; out=$(mktemp); core "$f" > "$out"
  for m in "$@"; do [ -f "$m" ] || continue; printf -- '-- >>> %s (verbatim up part; keep identical)\n' "$m" >> "$out"; up "$m" >> "$out"; done
  mv "$out" "$f"
}
build schema.sql $SCHEMA_MIRRORS
build functions/user_functions.sql $FUNC_MIRRORS
d=$(down migrations/001_initial_schema.sql); { core schema.sql; printf '%s\n' "$d"; } > migrations/001_initial_schema.sql.tmp
mv migrations/001_initial_schema.sql.tmp migrations/001_initial_schema.sql
d=$(down migrations/002_user_functions.sql); { core functions/user_functions.sql; printf '%s\n' "$d"; } > migrations/002_user_functions.sql.tmp
mv migrations/002_user_functions.sql.tmp migrations/002_user_functions.sql
