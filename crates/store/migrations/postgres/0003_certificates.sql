-- The plan's three documents: applications, their review and issue, and every step after.

CREATE TABLE certificates (
    id                 BIGSERIAL PRIMARY KEY,
    kind               TEXT NOT NULL,
    person_id          BIGINT NOT NULL REFERENCES persons (id),
    -- The holder's managing area when applied for: whose queues it is in.
    area_code          TEXT COLLATE "C" NOT NULL,
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
    processing_seconds BIGINT,
    copies_printed     BIGINT NOT NULL DEFAULT 0,
    delivered          BOOLEAN NOT NULL DEFAULT FALSE,
    replaces           BIGINT REFERENCES certificates (id),
    replaced_by        BIGINT REFERENCES certificates (id),
    reason             TEXT
);
CREATE INDEX certificates_queue ON certificates (state, area_code, id);
CREATE INDEX certificates_person ON certificates (person_id, id);
CREATE INDEX certificates_issued ON certificates (issued_on) WHERE issued_on IS NOT NULL;

-- Each document's history; shown on the document and on the holder's timeline.
CREATE TABLE certificate_steps (
    id             BIGSERIAL PRIMARY KEY,
    certificate_id BIGINT NOT NULL REFERENCES certificates (id),
    person_id      BIGINT NOT NULL,
    step           TEXT NOT NULL,
    at             TEXT NOT NULL,
    account_id     BIGINT,
    username       TEXT NOT NULL,
    note           TEXT
);
CREATE INDEX certificate_steps_certificate ON certificate_steps (certificate_id, id);
CREATE INDEX certificate_steps_person ON certificate_steps (person_id, id);

CREATE FUNCTION certificate_steps_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'certificate steps are append-only';
END;
$$;
CREATE TRIGGER certificate_steps_no_update_delete BEFORE UPDATE OR DELETE ON certificate_steps
    FOR EACH ROW EXECUTE FUNCTION certificate_steps_append_only();

-- Each kind's own serial sequence, per year of issue.
CREATE TABLE certificate_sequences (
    kind TEXT NOT NULL,
    year BIGINT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (kind, year)
);
