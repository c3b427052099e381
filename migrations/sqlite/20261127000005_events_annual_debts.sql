-- Training plan (piano formativo): the events a provider declares, their per-event debt, and
-- the later-year annual fees. Same version number and meaning on both backends.
--
-- Debts gain two links:
--   event_id       the event of a CONTRIBUTO_EVENTO debt (at most one debt per event);
--   reference_year the year of a later-year QUOTA_ANNUALE debt (at most one per provider, fee
--                  kind and year).
-- The first-year fee keeps request_id and a NULL reference_year: `debts_request_fee`
-- (request_id, fee_kind) still means "one first-year fee per request", and because NULLs are
-- distinct in unique indexes on both backends it never constrains per-event or later-year
-- debts (request_id NULL). Likewise the two new indexes only constrain rows where their
-- columns are set.

CREATE TABLE events (
    id              TEXT PRIMARY KEY,
    provider_id     TEXT NOT NULL REFERENCES providers (id),
    -- One declaration per form shown: a double submission never creates a second event.
    declaration_key TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL,
    procedure_type  TEXT NOT NULL CHECK (procedure_type IN ('RES', 'FSC', 'FAD')),
    start_date      TEXT NOT NULL,               -- YYYY-MM-DD
    end_date        TEXT NOT NULL,               -- YYYY-MM-DD, >= start_date
    sponsored       BIGINT NOT NULL CHECK (sponsored IN (0, 1)),  -- sponsored or otherwise financed
    provider_class  TEXT NOT NULL CHECK (provider_class IN ('A', 'B')),  -- at declaration
    tariff_id       TEXT REFERENCES tariffs (id),  -- the tariff valid at start_date
    fee_cents       BIGINT NOT NULL CHECK (fee_cents >= 0),
    created_by      TEXT NOT NULL REFERENCES users (id),
    created_at      TEXT NOT NULL,
    CHECK (end_date >= start_date)
);
CREATE INDEX events_provider_start ON events (provider_id, start_date);

ALTER TABLE debts ADD COLUMN event_id TEXT REFERENCES events (id);
ALTER TABLE debts ADD COLUMN reference_year BIGINT;
CREATE UNIQUE INDEX debts_event ON debts (event_id);
CREATE UNIQUE INDEX debts_provider_fee_year ON debts (provider_id, fee_kind, reference_year);
