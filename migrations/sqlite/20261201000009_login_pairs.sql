-- Login throttling per account-and-address pair (scope 'pair', subject "<e-mail> <address>"):
-- wrong passwords from one place no longer lock the account's owner out everywhere.
-- A failure row is now written *before* the password is checked (a reservation, removed when
-- the password is right), so parallel attempts count each other. Scope 'registration' (subject:
-- the client address, or '*' for all) records registrations, limited per address and overall.
CREATE TABLE login_failures_new (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    scope     TEXT NOT NULL CHECK (scope IN ('account', 'address', 'pair', 'registration')),
    subject   TEXT NOT NULL,                     -- e-mail, client address, or "e-mail address"
    failed_at TEXT NOT NULL
);
INSERT INTO login_failures_new (id, scope, subject, failed_at) SELECT id, scope, subject, failed_at FROM login_failures;
DROP TABLE login_failures;
ALTER TABLE login_failures_new RENAME TO login_failures;
CREATE INDEX login_failures_subject ON login_failures (scope, subject, failed_at);
