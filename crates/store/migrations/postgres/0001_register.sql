-- The register: the area tree, people as they are now, and the append-only timeline of events.

CREATE TABLE areas (
    -- COLLATE "C": codes compare byte by byte, so "X and below" is the index range [X, X:).
    code   TEXT COLLATE "C" PRIMARY KEY,
    name   TEXT NOT NULL,
    level  TEXT NOT NULL CHECK (level IN ('district', 'centre', 'committee', 'group')),
    parent TEXT COLLATE "C" REFERENCES areas (code)
);

CREATE TABLE persons (
    id                    BIGINT PRIMARY KEY,
    -- Codes and numbers compare byte by byte (COLLATE "C"): faster than a language's rules,
    -- and their order is the codes' own.
    id_number             TEXT COLLATE "C",
    name                  TEXT NOT NULL,
    sex                   TEXT NOT NULL,
    birth_date            DATE NOT NULL,
    ethnicity             TEXT NOT NULL,
    marital_status        TEXT NOT NULL,
    education             TEXT,
    phone                 TEXT,
    household_no          TEXT COLLATE "C" NOT NULL,
    relation              TEXT NOT NULL,
    population_type       TEXT NOT NULL,
    registered_place_code TEXT,
    registered_place_text TEXT,
    area_code             TEXT COLLATE "C" NOT NULL,
    address               TEXT,
    arrival_date          DATE,
    leaving_date          DATE,
    origin_or_destination TEXT,
    status                TEXT NOT NULL DEFAULT 'active',
    death_date            DATE,
    spouse_id             BIGINT,
    mother_id             BIGINT,
    pregnant              BOOLEAN NOT NULL DEFAULT FALSE,
    contraception         TEXT,
    updated_at            TIMESTAMPTZ NOT NULL
);

CREATE SEQUENCE persons_id_seq OWNED BY persons.id;
ALTER TABLE persons ALTER COLUMN id SET DEFAULT nextval('persons_id_seq');

CREATE UNIQUE INDEX persons_id_number ON persons (id_number);
CREATE INDEX persons_area ON persons (area_code, id);
CREATE INDEX persons_household ON persons (household_no);
CREATE INDEX persons_mother ON persons (mother_id) WHERE mother_id IS NOT NULL;

CREATE TABLE events (
    id          BIGSERIAL PRIMARY KEY,
    person_id   BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    occurred_on DATE NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by TEXT NOT NULL,
    detail      JSONB NOT NULL DEFAULT '{}'
);

CREATE INDEX events_person ON events (person_id, id);

-- The timeline is history: corrections are new events, never edits.
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only';
END;
$$;

CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
