-- Login throttling per account-and-address pair (scope 'pair', subject "<e-mail> <address>"):
-- wrong passwords from one place no longer lock the account's owner out everywhere.
-- A failure row is now written *before* the password is checked (a reservation, removed when
-- the password is right), so parallel attempts count each other. Scope 'registration' (subject:
-- the client address, or '*' for all) records registrations, limited per address and overall.
ALTER TABLE login_failures DROP CONSTRAINT login_failures_scope_check;
ALTER TABLE login_failures ADD CONSTRAINT login_failures_scope_check CHECK (scope IN ('account', 'address', 'pair', 'registration'));
