-- Documents of an accreditation request: the configurable list of types and every upload,
-- kept with its SHA-256; a replaced document stays in the history (current = 0).

CREATE TABLE document_types (
    code     TEXT PRIMARY KEY,
    label    TEXT NOT NULL,
    required BIGINT NOT NULL DEFAULT 1,          -- 1 = needed before payment, 0 = optional
    position BIGINT NOT NULL,
    active   BIGINT NOT NULL DEFAULT 1
);

INSERT INTO document_types (code, label, required, position, active) VALUES
    ('ATTO_COSTITUTIVO', 'Atto costitutivo e statuto', 1, 1, 1),
    ('PIANO_QUALITA', 'Piano della qualità', 1, 2, 1),
    ('DICHIARAZIONE_LEGALE', 'Dichiarazione del legale rappresentante', 1, 3, 1),
    ('CV_RESPONSABILE', 'Curriculum vitae del responsabile scientifico', 1, 4, 1),
    ('CV_COMITATO', 'Curricula del comitato scientifico (almeno 5 professionisti sanitari)', 1, 5, 1),
    ('PIANO_FORMATIVO', 'Piano formativo annuale', 1, 6, 1);

CREATE TABLE documents (
    id          TEXT PRIMARY KEY,
    request_id  TEXT NOT NULL REFERENCES accreditation_requests (id),
    type_code   TEXT NOT NULL REFERENCES document_types (code),
    file_name   TEXT NOT NULL,                   -- sanitised
    size_bytes  BIGINT NOT NULL,
    sha256      TEXT NOT NULL,                   -- hex
    content     BLOB NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users (id),
    uploaded_at TEXT NOT NULL,
    current     BIGINT NOT NULL DEFAULT 1        -- 1 = the version in force, 0 = replaced
);
CREATE INDEX documents_request ON documents (request_id, type_code, current);
