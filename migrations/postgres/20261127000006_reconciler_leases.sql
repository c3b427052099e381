-- Payment reconciler: a claim (lease) on an attempt so that two portal instances never ask
-- MyPay about the same attempt at once, when the attempt is next due for a check, and since
-- when MyPay has given no usable answer about it (persistent faults become anomalies).
-- Same version number and meaning on both backends.

ALTER TABLE payment_attempts ADD COLUMN lease_owner TEXT;        -- instance id of the claimer
ALTER TABLE payment_attempts ADD COLUMN lease_until TEXT;        -- claim valid until (UTC text timestamp)
ALTER TABLE payment_attempts ADD COLUMN next_check_at TEXT;      -- NULL: due from created_at
ALTER TABLE payment_attempts ADD COLUMN unanswered_since TEXT;   -- first of the current run of transport errors
CREATE INDEX payment_attempts_due ON payment_attempts (state, next_check_at);
