-- Fees (versioned tariff table), debts (dovuti), payment attempts (MyPay carts) with their
-- debts and an append-only audit trail. Same version number and meaning on both backends.
-- Version 3 is reserved for the documents.

CREATE TABLE tariffs (
    id             TEXT PRIMARY KEY,
    fee_kind       TEXT NOT NULL CHECK (fee_kind IN ('QUOTA_ANNUALE', 'CONTRIBUTO_EVENTO')),
    provider_class TEXT NOT NULL CHECK (provider_class IN ('A', 'B')),
    -- PRIMO_ANNO, ANNI_SUCCESSIVI, FASCIA_FINO_30 .. FASCIA_OLTRE_120 (Gruppo A, events of the
    -- previous year), EVENTO_RES_FSC, EVENTO_FAD, EVENTO_RES_FSC_NON_SPONSORIZZATO, EVENTO_FAD_NON_SPONSORIZZATO
    case_key       TEXT NOT NULL,
    description    TEXT NOT NULL,
    amount_cents   BIGINT NOT NULL CHECK (amount_cents >= 0),
    valid_from     TEXT NOT NULL,                -- YYYY-MM-DD, inclusive
    valid_to       TEXT,                         -- YYYY-MM-DD, inclusive; NULL = still valid
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE UNIQUE INDEX tariffs_version ON tariffs (fee_kind, provider_class, case_key, valid_from);

INSERT INTO tariffs (id, fee_kind, provider_class, case_key, description, amount_cents, valid_from, valid_to, created_by, created_at) VALUES
 ('t-qa-a-primo',   'QUOTA_ANNUALE', 'A', 'PRIMO_ANNO',       'Gruppo A, primo anno',                              0, '2017-01-01', NULL, 'migration', '2026-11-27T00:00:00.000Z'),
 ('t-qa-a-f30',     'QUOTA_ANNUALE', 'A', 'FASCIA_FINO_30',   'Gruppo A, anni successivi, fino a 30 eventi',  300000, '2017-01-01', NULL, 'migration', '2026-11-27T00:00:00.000Z'),
 ('t-qa-a-f60',     'QUOTA_ANNUALE', 'A', 'FASCIA_31_60',     'Gruppo A, anni successivi, da 31 a 60 eventi', 550000, '2017-01-01', NULL, 'migration', '2026-11-27T00:00:00.000Z'),
 ('t-qa-a-f90',     'QUOTA_ANNUALE', 'A', 'FASCIA_61_90',     'Gruppo A, anni successivi, da 61 a 90 eventi', 800000, '2017-01-01', NULL, 'migration', '2026-11-27T00:00:00.000Z'),
 ('t-qa-a-f120',    'QUOTA_ANNUALE', 'A', 'FASCIA_91_120',    'Gruppo A, anni successivi, da 91 a 120 eventi', 1050000, '2017-01-01', NULL, 'migration', '2026-11-27T00:00:00.000Z'),
 ('t-qa-a-oltre',   'QUOTA_ANNUALE', 'A', 'FASCIA_OLTRE_120', 'Gruppo A, anni successivi, oltre 120 eventi',  1300000, '2017-01-01', NULL, 'migration', '2026-11-27T00:00:00.000Z'),
 ('t-qa-b-primo',   'QUOTA_ANNUALE', 'B', 'PRIMO_ANNO',       'Gruppo B, primo anno',                          25822, '2017-01-01', NULL, 'migration', '2026-11-27T00:00:00.000Z'),
 ('t-qa-b-succ',    'QUOTA_ANNUALE', 'B', 'ANNI_SUCCESSIVI',  'Gruppo B, anni successivi',                     25822, '2017-01-01', NULL, 'migration', '2026-11-27T00:00:00.000Z'),
 ('t-ev-a-res',     'CONTRIBUTO_EVENTO', 'A', 'EVENTO_RES_FSC',                   'Gruppo A, evento RES o FSC', 0, '2017-01-01', NULL, 'migration', '2026-11-27T00:00:00.000Z'),
 ('t-ev-a-fad',     'CONTRIBUTO_EVENTO', 'A', 'EVENTO_FAD',                       'Gruppo A, evento FAD',       0, '2017-01-01', NULL, 'migration', '2026-11-27T00:00:00.000Z'),
 ('t-ev-a-res-ns',  'CONTRIBUTO_EVENTO', 'A', 'EVENTO_RES_FSC_NON_SPONSORIZZATO', 'Gruppo A, evento RES o FSC non sponsorizzato', 0, '2017-01-01', NULL, 'migration', '2026-11-27T00:00:00.000Z'),
 ('t-ev-a-fad-ns',  'CONTRIBUTO_EVENTO', 'A', 'EVENTO_FAD_NON_SPONSORIZZATO',     'Gruppo A, evento FAD non sponsorizzato',       0, '2017-01-01', NULL, 'migration', '2026-11-27T00:00:00.000Z'),
 ('t-ev-b-res',     'CONTRIBUTO_EVENTO', 'B', 'EVENTO_RES_FSC',                   'Gruppo B, evento RES o FSC',  25822, '2017-01-01', NULL, 'migration', '2026-11-27T00:00:00.000Z'),
 ('t-ev-b-fad',     'CONTRIBUTO_EVENTO', 'B', 'EVENTO_FAD',                       'Gruppo B, evento FAD',       150000, '2017-01-01', NULL, 'migration', '2026-11-27T00:00:00.000Z'),
 ('t-ev-b-res-ns',  'CONTRIBUTO_EVENTO', 'B', 'EVENTO_RES_FSC_NON_SPONSORIZZATO', 'Gruppo B, evento RES o FSC né sponsorizzato né finanziato', 17215, '2017-01-01', NULL, 'migration', '2026-11-27T00:00:00.000Z'),
 ('t-ev-b-fad-ns',  'CONTRIBUTO_EVENTO', 'B', 'EVENTO_FAD_NON_SPONSORIZZATO',     'Gruppo B, evento FAD né sponsorizzato né finanziato',     100000, '2017-01-01', NULL, 'migration', '2026-11-27T00:00:00.000Z');

CREATE TABLE debts (
    id           TEXT PRIMARY KEY,
    provider_id  TEXT NOT NULL REFERENCES providers (id),
    request_id   TEXT REFERENCES accreditation_requests (id),
    fee_kind     TEXT NOT NULL CHECK (fee_kind IN ('QUOTA_ANNUALE', 'CONTRIBUTO_EVENTO')),
    tariff_id    TEXT REFERENCES tariffs (id),
    causale      TEXT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    due_date     TEXT,                           -- YYYY-MM-DD; NULL while it depends on a later act
    state        TEXT NOT NULL CHECK (state IN ('DA_PAGARE', 'IN_CORSO', 'PAGATO', 'ANNULLATO')),
    paid_at      TEXT,
    iuv          TEXT,
    iur          TEXT,
    paid_attempt_id TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX debts_provider_state ON debts (provider_id, state, created_at);
-- One debt per fee kind and request (NULL request ids, e.g. per-event fees, are all distinct).
CREATE UNIQUE INDEX debts_request_fee ON debts (request_id, fee_kind);

CREATE TABLE payment_attempts (
    id              TEXT PRIMARY KEY,
    provider_id     TEXT NOT NULL REFERENCES providers (id),
    created_by      TEXT NOT NULL REFERENCES users (id),
    idempotency_key TEXT NOT NULL UNIQUE,
    state           TEXT NOT NULL CHECK (state IN ('CREATA', 'INVIATA', 'IN_ATTESA', 'PAGATA', 'NON_PAGATA',
                                                   'SCADUTA', 'ANNULLATA', 'ERRORE', 'ANOMALIA')),
    total_cents     BIGINT NOT NULL,
    payer_email     TEXT,
    id_session      TEXT UNIQUE,
    redirect_url    TEXT,
    esito_ritorno   TEXT,                        -- OK / ERROR as reported by the browser: informational only
    last_check_at   TEXT,
    last_outcome    TEXT,
    check_count     BIGINT NOT NULL DEFAULT 0,
    iuv             TEXT,
    receipt         BLOB,                        -- the RT as returned by paaSILChiediPagatiConRicevuta
    receipt_id      TEXT,
    receipt_date    TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX payment_attempts_provider ON payment_attempts (provider_id, created_at);
CREATE INDEX payment_attempts_state ON payment_attempts (state, updated_at);

CREATE TABLE attempt_debts (
    attempt_id   TEXT NOT NULL REFERENCES payment_attempts (id),
    debt_id      TEXT NOT NULL REFERENCES debts (id),
    iud          TEXT NOT NULL UNIQUE,           -- identificativoUnivocoDovuto, fresh per attempt
    amount_cents BIGINT NOT NULL,
    causale      TEXT NOT NULL,
    iur          TEXT,
    -- = debt_id while the attempt is live, NULL once it is closed: a debt is in at most one
    -- live attempt (several NULLs are allowed by UNIQUE on both backends).
    live_debt_id TEXT UNIQUE,
    PRIMARY KEY (attempt_id, debt_id)
);
CREATE INDEX attempt_debts_debt ON attempt_debts (debt_id);

CREATE TABLE payment_events (
    id         TEXT PRIMARY KEY,
    attempt_id TEXT NOT NULL REFERENCES payment_attempts (id),
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,                    -- user id, or 'system' / 'reconciler'
    from_state TEXT,
    to_state   TEXT NOT NULL,
    detail     TEXT
);
CREATE INDEX payment_events_attempt ON payment_events (attempt_id, at);
