-- Payment channels besides the online cart (issue "Every provider can pay"): treasury payments
-- proved by a quietanza the Segreteria verifies. Same version number and meaning on both
-- backends (docs/channels.md).

-- How a PAGATO debt was paid: 'PAGOPA' (a MyPay receipt, paid_attempt_id) or 'QUIETANZA' (a
-- treasury payment whose quietanza the Segreteria accepted, paid_quietanza_id).
ALTER TABLE debts ADD COLUMN paid_channel TEXT CHECK (paid_channel IN ('PAGOPA', 'QUIETANZA'));
ALTER TABLE debts ADD COLUMN paid_quietanza_id TEXT;
UPDATE debts SET paid_channel = 'PAGOPA' WHERE state = 'PAGATO';

-- The treasury channel of a provider, as the Segreteria set it: 'ON', 'OFF', or NULL for the
-- default (on for Gruppo A, off for Gruppo B).
ALTER TABLE providers ADD COLUMN treasury_channel TEXT CHECK (treasury_channel IN ('ON', 'OFF'));

-- The PSP named by a verified MyPay receipt (shown on the readable receipt).
ALTER TABLE payment_attempts ADD COLUMN psp TEXT;

-- A quietanza: the evidence of a treasury payment for one debt, uploaded by the provider and
-- verified by the Segreteria. IN_VERIFICA holds the debt (IN_CORSO) so that it cannot also be
-- paid online; ACCETTATA pays it; RIFIUTATA gives it back with the reason. The one writer is
-- app/src/store/quietanze.rs.
CREATE TABLE quietanze (
    id             TEXT PRIMARY KEY,
    debt_id        TEXT NOT NULL REFERENCES debts (id),
    provider_id    TEXT NOT NULL REFERENCES providers (id),
    state          TEXT NOT NULL CHECK (state IN ('IN_VERIFICA', 'ACCETTATA', 'RIFIUTATA')),
    file_name      TEXT NOT NULL,                -- sanitised
    size_bytes     BIGINT NOT NULL,
    sha256         TEXT NOT NULL,                -- hex
    content        BLOB NOT NULL,
    value_date     TEXT NOT NULL,                -- YYYY-MM-DD, data valuta as declared
    amount_cents   BIGINT NOT NULL CHECK (amount_cents > 0),
    cro_trn        TEXT NOT NULL,                -- as declared, upper case without spaces
    paying_body    TEXT NOT NULL,                -- ente pagante, as declared
    uploaded_by    TEXT NOT NULL REFERENCES users (id),
    uploaded_at    TEXT NOT NULL,
    decided_by     TEXT REFERENCES users (id),
    decided_at     TEXT,
    decision_note  TEXT,                         -- why refused, or why accepted despite differences
    -- = debt_id while IN_VERIFICA or ACCETTATA, NULL once refused: a debt has at most one
    -- quietanza in verification or accepted (several NULLs are allowed by UNIQUE on both backends).
    live_debt_id   TEXT UNIQUE
);
CREATE INDEX quietanze_debt ON quietanze (debt_id, uploaded_at);
CREATE INDEX quietanze_state ON quietanze (state, uploaded_at);
CREATE INDEX quietanze_cro ON quietanze (cro_trn);
CREATE INDEX quietanze_sha ON quietanze (sha256);
