-- Accounts, server-side sessions and login attempts (for rate limiting).
-- Same version number and same meaning as migrations/sqlite/20261127000001_accounts.sql.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,          -- trimmed, lower-cased
    password_hash TEXT NOT NULL,                 -- argon2id PHC string
    role          TEXT NOT NULL CHECK (role IN ('PROVIDER', 'SEGRETERIA')),
    display_name  TEXT NOT NULL,
    created_at    TEXT NOT NULL                  -- RFC 3339 UTC
);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,                 -- SHA-256 (hex) of the cookie value
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE login_failures (
    id        BIGSERIAL PRIMARY KEY,
    scope     TEXT NOT NULL CHECK (scope IN ('account', 'address')),
    subject   TEXT NOT NULL,                     -- e-mail or client address
    failed_at TEXT NOT NULL
);
CREATE INDEX login_failures_subject ON login_failures (scope, subject, failed_at);
