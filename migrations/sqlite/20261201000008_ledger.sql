-- The ledger (issue "What a provider owes"): one audited writer per state machine.

-- Every change of a debt, by the one writer of the debt machine (app/src/store/debts.rs):
-- creation, state changes, due-date extensions (proroghe), amount corrections. Append-only.
CREATE TABLE debt_events (
    id         TEXT PRIMARY KEY,
    debt_id    TEXT NOT NULL REFERENCES debts (id),
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,                    -- user id, or 'system' / 'reconciler'
    kind       TEXT NOT NULL CHECK (kind IN ('CREATO', 'STATO', 'PROROGA', 'IMPORTO')),
    from_value TEXT,
    to_value   TEXT,
    reason     TEXT
);
CREATE INDEX debt_events_debt ON debt_events (debt_id, at);

-- A first-year fee annulled with a reason may be due again later (the Gruppo was corrected):
-- one live (not annulled) debt per request and fee kind, not one ever.
DROP INDEX debts_request_fee;
CREATE UNIQUE INDEX debts_request_fee ON debts (request_id, fee_kind) WHERE state <> 'ANNULLATO';

-- Every change of a provider's data: who, when, which field, old and new value, why.
CREATE TABLE provider_changes (
    id          TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    at          TEXT NOT NULL,
    actor_id    TEXT NOT NULL REFERENCES users (id),
    actor_role  TEXT NOT NULL,
    field       TEXT NOT NULL,
    old_value   TEXT,
    new_value   TEXT,
    reason      TEXT
);
CREATE INDEX provider_changes_provider ON provider_changes (provider_id, at);

-- The Segreteria confirms (or corrects, with a reason) the Gruppo the provider declared.
ALTER TABLE providers ADD COLUMN class_confirmed_at TEXT;
ALTER TABLE providers ADD COLUMN class_confirmed_by TEXT REFERENCES users (id);

-- While an integration is asked for: the sections of the censimento the provider may change
-- (comma-separated codes, e.g. 'SEDE,CONTATTI'); NULL otherwise.
ALTER TABLE accreditation_requests ADD COLUMN reopened_sections TEXT;
-- What the provider declared at each submission: Gruppo and fees (JSON), in the history row.
ALTER TABLE request_history ADD COLUMN snapshot TEXT;

-- At most one live (not yet decided) request per provider, and one current document per slot:
-- a double click or two tabs can never make a second one.
CREATE UNIQUE INDEX accreditation_requests_live ON accreditation_requests (provider_id)
    WHERE state NOT IN ('ACCREDITATO', 'RIGETTATO');
CREATE UNIQUE INDEX documents_current ON documents (request_id, type_code) WHERE current = 1;
