-- 017_notification_message_key.sql — notifications read in the reader's language (issue 10, item 8).
-- A notification names its text by a key of the message catalogue (src/i18n/locales/*.ts,
-- notification.<key>): the API renders title and body from it in the recipient's current
-- language when the notification is read (list, live stream). title/body keep the text as
-- written at creation (for the data export, and for rows without a key: the dispatcher's
-- reminders and missed-dose alerts, refills and prescriptions read, which are written in the
-- recipient's language already). NULL for those and for older rows.
ALTER TABLE notifications ADD COLUMN message_key text;
ALTER TABLE notifications ADD CONSTRAINT notifications_message_key_check CHECK (message_key ~ '^[a-z][a-z0-9_]{0,62}$');

/* migrate:down
ALTER TABLE notifications DROP COLUMN message_key;
*/
