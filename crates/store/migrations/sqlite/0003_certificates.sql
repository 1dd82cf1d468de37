-- The plan's three documents: applications, their review and issue, and every step after.

CREATE TABLE certificates (
    id                 INTEGER PRIMARY KEY,
    kind               TEXT NOT NULL,
    person_id          INTEGER NOT NULL REFERENCES persons (id),
    -- The holder's managing area when applied for: whose queues it is in.
    area_code          TEXT NOT NULL,
    state              TEXT NOT NULL,
    -- The application's own fields (JSON): only what the kind asks.
    application        TEXT NOT NULL DEFAULT '{}',
    applied_at         TEXT NOT NULL,
    applied_by         TEXT NOT NULL,
    serial             TEXT UNIQUE,
    verify_code        TEXT UNIQUE,
    issued_at          TEXT,
    issued_on          TEXT,
    valid_until        TEXT,
    processing_seconds INTEGER,
    copies_printed     INTEGER NOT NULL DEFAULT 0,
    delivered          INTEGER NOT NULL DEFAULT 0,
    replaces           INTEGER REFERENCES certificates (id),
    replaced_by        INTEGER REFERENCES certificates (id),
    reason             TEXT
);
CREATE INDEX certificates_queue ON certificates (state, area_code, id);
CREATE INDEX certificates_person ON certificates (person_id, id);
CREATE INDEX certificates_issued ON certificates (issued_on) WHERE issued_on IS NOT NULL;

-- Each document's history; shown on the document and on the holder's timeline.
CREATE TABLE certificate_steps (
    id             INTEGER PRIMARY KEY,
    certificate_id INTEGER NOT NULL REFERENCES certificates (id),
    person_id      INTEGER NOT NULL,
    step           TEXT NOT NULL,
    at             TEXT NOT NULL,
    account_id     INTEGER,
    username       TEXT NOT NULL,
    note           TEXT
);
CREATE INDEX certificate_steps_certificate ON certificate_steps (certificate_id, id);
CREATE INDEX certificate_steps_person ON certificate_steps (person_id, id);

CREATE TRIGGER certificate_steps_no_update BEFORE UPDATE ON certificate_steps
BEGIN
    SELECT RAISE(ABORT, 'certificate steps are append-only');
END;
CREATE TRIGGER certificate_steps_no_delete BEFORE DELETE ON certificate_steps
BEGIN
    SELECT RAISE(ABORT, 'certificate steps are append-only');
END;

-- Each kind's own serial sequence, per year of issue.
CREATE TABLE certificate_sequences (
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (kind, year)
);
