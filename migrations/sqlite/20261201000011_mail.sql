-- Mail: the outbox of notifications (written in the transaction of the change that causes
-- them, sent by the mail worker over SMTP), the single-use tokens of e-mail verification and
-- password reset (stored as SHA-256), and when an account's e-mail address was verified.
-- Same version number and meaning on both backends (docs/mail.md).

ALTER TABLE users ADD COLUMN email_verified_at TEXT;

CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY,            -- also the Message-ID's local part
    kind            TEXT NOT NULL,               -- app::mail::model::MailKind::as_db
    dedupe_key      TEXT UNIQUE,                 -- reminders: one per debt, due date and kind
    provider_id     TEXT,                        -- whose mail log shows it (NULL: account mail)
    user_id         TEXT,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    secret          BIGINT NOT NULL DEFAULT 0,   -- 1: the body holds a token, blanked once done
    state           TEXT NOT NULL CHECK (state IN ('PENDING', 'SENT', 'FAILED')),
    tries           BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_owner     TEXT,
    lease_until     TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (state, next_attempt_at);
CREATE INDEX mail_outbox_provider ON mail_outbox (provider_id, created_at);

CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY,                 -- SHA-256 (hex) of the token in the link
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('VERIFY_EMAIL', 'RESET_PASSWORD')),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose, created_at);
