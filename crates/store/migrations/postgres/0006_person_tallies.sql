-- Exact list counts over a district or a centre without reading its people (issue 11: at
-- 1,000,000 people counting 育龄妇女 + 已婚 over the city read 200,000 index entries, and
-- 全部 a million). The tallies count the people of each area at the district and centre
-- levels and over the whole register (area ''), by every column a list filters on; a
-- committee's or a group's count stays a scan of its few thousand entries in persons_count.
-- The triggers keep them in the same transaction as every change to a person, whatever
-- the path; a bulk load sets renkou.bulk_load for its transaction and adds its rows'
-- tallies in one statement (see bulk_insert).
CREATE TABLE person_tallies (
    area_code       TEXT COLLATE "C" NOT NULL,
    status          TEXT NOT NULL,
    population_type TEXT NOT NULL,
    marital_status  TEXT NOT NULL,
    sex             TEXT NOT NULL,
    birth_year      INTEGER NOT NULL,
    pregnant        BOOLEAN NOT NULL,
    n               BIGINT NOT NULL,
    PRIMARY KEY (area_code, status, population_type, marital_status, sex, birth_year, pregnant)
);

-- A search by the commonest surname alone ("王") counts from here.
CREATE TABLE name_tallies (
    area_code TEXT COLLATE "C" NOT NULL,
    status    TEXT NOT NULL,
    initial   TEXT NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (area_code, status, initial)
);

-- The areas a person is tallied in: the whole register, the district, the centre.
CREATE VIEW person_tally_levels (id, level) AS
    SELECT id, ''::text FROM persons
    UNION ALL SELECT id, left(area_code, 6) FROM persons
    UNION ALL SELECT id, left(area_code, 9) FROM persons WHERE length(area_code) >= 9;

INSERT INTO person_tallies
SELECT l.level, p.status, p.population_type, p.marital_status, p.sex,
       extract(year FROM p.birth_date)::int, p.pregnant, count(*)
FROM person_tally_levels l JOIN persons p ON p.id = l.id
GROUP BY 1, 2, 3, 4, 5, 6, 7;

INSERT INTO name_tallies
SELECT l.level, p.status, left(p.name, 1), count(*)
FROM person_tally_levels l JOIN persons p ON p.id = l.id
GROUP BY 1, 2, 3;

CREATE FUNCTION persons_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tally_area TEXT;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE person_tallies SET n = n - 1
        WHERE area_code IN ('', left(OLD.area_code, 6), left(OLD.area_code, 9))
          AND status = OLD.status AND population_type = OLD.population_type
          AND marital_status = OLD.marital_status AND sex = OLD.sex
          AND birth_year = extract(year FROM OLD.birth_date)::int
          AND pregnant = OLD.pregnant;
        UPDATE name_tallies SET n = n - 1
        WHERE area_code IN ('', left(OLD.area_code, 6), left(OLD.area_code, 9))
          AND status = OLD.status AND initial = left(OLD.name, 1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        -- A district's own people (a six-digit area) are tallied once at that level.
        FOREACH tally_area IN ARRAY ARRAY['', left(NEW.area_code, 6)]
            || CASE WHEN length(NEW.area_code) >= 9 THEN ARRAY[left(NEW.area_code, 9)]
                    ELSE ARRAY[]::text[] END LOOP
            INSERT INTO person_tallies VALUES (tally_area, NEW.status, NEW.population_type,
                NEW.marital_status, NEW.sex, extract(year FROM NEW.birth_date)::int,
                NEW.pregnant, 1)
                ON CONFLICT (area_code, status, population_type, marital_status, sex,
                             birth_year, pregnant)
                DO UPDATE SET n = person_tallies.n + 1;
            INSERT INTO name_tallies VALUES (tally_area, NEW.status, left(NEW.name, 1), 1)
                ON CONFLICT (area_code, status, initial)
                DO UPDATE SET n = name_tallies.n + 1;
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER persons_tally_insert AFTER INSERT ON persons FOR EACH ROW
    WHEN (current_setting('renkou.bulk_load', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION persons_tally();
CREATE TRIGGER persons_tally_update AFTER UPDATE ON persons FOR EACH ROW
    WHEN ((OLD.area_code, OLD.status, OLD.population_type, OLD.marital_status, OLD.sex,
           extract(year FROM OLD.birth_date), OLD.pregnant, left(OLD.name, 1))
          IS DISTINCT FROM
          (NEW.area_code, NEW.status, NEW.population_type, NEW.marital_status, NEW.sex,
           extract(year FROM NEW.birth_date), NEW.pregnant, left(NEW.name, 1)))
    EXECUTE FUNCTION persons_tally();
CREATE TRIGGER persons_tally_delete AFTER DELETE ON persons FOR EACH ROW
    EXECUTE FUNCTION persons_tally();

-- The boundary years of an age filter are counted from the people born in them: this index
-- holds every column the count checks (an index-only scan).
CREATE INDEX persons_born_count ON persons (birth_date, area_code, status, population_type, marital_status, sex, pregnant);

-- A name search counts from the name index alone (an index-only scan), whatever else the list
-- filters on: the commonest surname is 9 % of a city.
DROP INDEX persons_name_id;
CREATE INDEX persons_name_id ON persons (name COLLATE "C", id_number, area_code, status, population_type, marital_status, sex, birth_date, pregnant);
-- A name with the end of an ID number ("王 1234") starts from the ID number's last four
-- characters: one person in ten thousand, where the name alone may be 9 % of the city.
CREATE INDEX persons_id_tail ON persons (right(id_number, 4));
