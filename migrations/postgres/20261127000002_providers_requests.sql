-- Providers (censimento), accreditation requests and their append-only history.
-- Same version number and meaning on both backends.

CREATE TABLE providers (
    id                    TEXT PRIMARY KEY,
    owner_user_id         TEXT NOT NULL UNIQUE REFERENCES users (id),
    denominazione         TEXT NOT NULL,
    codice_fiscale        TEXT NOT NULL UNIQUE,
    partita_iva           TEXT,
    provider_class        TEXT NOT NULL CHECK (provider_class IN ('A', 'B')),
    forma_giuridica       TEXT NOT NULL,
    legale_nome           TEXT NOT NULL,
    legale_cognome        TEXT NOT NULL,
    legale_codice_fiscale TEXT NOT NULL,
    via                   TEXT NOT NULL,
    civico                TEXT NOT NULL,
    cap                   TEXT NOT NULL,
    comune                TEXT NOT NULL,
    provincia             TEXT NOT NULL,
    pec                   TEXT NOT NULL,
    email                 TEXT NOT NULL,
    telefono              TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);

CREATE TABLE accreditation_requests (
    id           TEXT PRIMARY KEY,
    provider_id  TEXT NOT NULL REFERENCES providers (id),
    kind         TEXT NOT NULL CHECK (kind IN ('PROVVISORIO', 'STANDARD')),
    state        TEXT NOT NULL CHECK (state IN ('BOZZA', 'INVIATA', 'IN_ISTRUTTORIA', 'INTEGRAZIONE_RICHIESTA', 'ACCREDITATO', 'RIGETTATO')),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    submitted_at TEXT
);
CREATE INDEX accreditation_requests_provider ON accreditation_requests (provider_id);
CREATE INDEX accreditation_requests_state ON accreditation_requests (state, updated_at);

CREATE TABLE request_history (
    id          TEXT PRIMARY KEY,
    request_id  TEXT NOT NULL REFERENCES accreditation_requests (id),
    at          TEXT NOT NULL,
    actor_id    TEXT NOT NULL REFERENCES users (id),
    actor_role  TEXT NOT NULL,
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    note        TEXT
);
CREATE INDEX request_history_request ON request_history (request_id, at);
