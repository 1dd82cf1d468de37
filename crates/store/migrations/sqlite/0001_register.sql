-- The register: the area tree, people as they are now, and the append-only timeline of events.

CREATE TABLE areas (
    code   TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    level  TEXT NOT NULL CHECK (level IN ('district', 'centre', 'committee', 'group')),
    parent TEXT REFERENCES areas (code)
);

CREATE TABLE persons (
    id                    INTEGER PRIMARY KEY,
    id_number             TEXT,
    name                  TEXT NOT NULL,
    sex                   TEXT NOT NULL,
    birth_date            TEXT NOT NULL,
    ethnicity             TEXT NOT NULL,
    marital_status        TEXT NOT NULL,
    education             TEXT,
    phone                 TEXT,
    household_no          TEXT NOT NULL,
    relation              TEXT NOT NULL,
    population_type       TEXT NOT NULL,
    registered_place_code TEXT,
    registered_place_text TEXT,
    area_code             TEXT NOT NULL,
    address               TEXT,
    arrival_date          TEXT,
    leaving_date          TEXT,
    origin_or_destination TEXT,
    status                TEXT NOT NULL DEFAULT 'active',
    death_date            TEXT,
    spouse_id             INTEGER,
    mother_id             INTEGER,
    pregnant              INTEGER NOT NULL DEFAULT 0,
    contraception         TEXT,
    updated_at            TEXT NOT NULL
);

CREATE UNIQUE INDEX persons_id_number ON persons (id_number);
CREATE INDEX persons_area ON persons (area_code, id);
CREATE INDEX persons_household ON persons (household_no);
CREATE INDEX persons_mother ON persons (mother_id) WHERE mother_id IS NOT NULL;

CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    occurred_on TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '{}'
);

CREATE INDEX events_person ON events (person_id, id);

-- The timeline is history: corrections are new events, never edits.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
