-- Exact list counts over a district or a centre without reading its people (issue 11: at
-- 1,000,000 people counting 育龄妇女 + 已婚 over the city walked 200,000 index entries, and
-- 全部 a million). The tallies count the people of each area at the district and centre
-- levels and over the whole register (area ''), by every column a list filters on; a
-- committee's or a group's count stays a walk of its few thousand entries in persons_count.
-- The triggers keep them in the same transaction as every change to a person, whatever
-- the path (a form, an event, a correction, a migration); a bulk load drops the insert
-- trigger and adds its rows' tallies in one statement (see bulk_insert).
CREATE TABLE person_tallies (
    area_code       TEXT NOT NULL,
    status          TEXT NOT NULL,
    population_type TEXT NOT NULL,
    marital_status  TEXT NOT NULL,
    sex             TEXT NOT NULL,
    birth_year      INTEGER NOT NULL,
    pregnant        INTEGER NOT NULL,
    n               INTEGER NOT NULL,
    PRIMARY KEY (area_code, status, population_type, marital_status, sex, birth_year, pregnant)
) WITHOUT ROWID;

-- A search by the commonest surname alone ("王") counts from here.
CREATE TABLE name_tallies (
    area_code TEXT NOT NULL,
    status    TEXT NOT NULL,
    initial   TEXT NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (area_code, status, initial)
) WITHOUT ROWID;

-- The areas a person is tallied in: the whole register, the district, the centre.
CREATE VIEW person_tally_levels (id, level) AS
    SELECT id, '' FROM persons
    UNION ALL SELECT id, substr(area_code, 1, 6) FROM persons
    UNION ALL SELECT id, substr(area_code, 1, 9) FROM persons WHERE length(area_code) >= 9;

INSERT INTO person_tallies
SELECT l.level, p.status, p.population_type, p.marital_status, p.sex,
       CAST(substr(p.birth_date, 1, 4) AS INTEGER), p.pregnant, count(*)
FROM person_tally_levels l JOIN persons p ON p.id = l.id
GROUP BY 1, 2, 3, 4, 5, 6, 7;

INSERT INTO name_tallies
SELECT l.level, p.status, substr(p.name, 1, 1), count(*)
FROM person_tally_levels l JOIN persons p ON p.id = l.id
GROUP BY 1, 2, 3;

CREATE TRIGGER persons_tally_insert AFTER INSERT ON persons BEGIN
    INSERT INTO person_tallies SELECT level, NEW.status, NEW.population_type,
        NEW.marital_status, NEW.sex, CAST(substr(NEW.birth_date, 1, 4) AS INTEGER),
        NEW.pregnant, 1
        FROM (SELECT '' AS level UNION ALL SELECT substr(NEW.area_code, 1, 6)
              UNION ALL SELECT substr(NEW.area_code, 1, 9) WHERE length(NEW.area_code) >= 9)
        WHERE true ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO name_tallies SELECT level, NEW.status, substr(NEW.name, 1, 1), 1
        FROM (SELECT '' AS level UNION ALL SELECT substr(NEW.area_code, 1, 6)
              UNION ALL SELECT substr(NEW.area_code, 1, 9) WHERE length(NEW.area_code) >= 9)
        WHERE true ON CONFLICT DO UPDATE SET n = n + 1;
END;

-- A change to anything tallied moves the person from the old cells to the new ones.
CREATE TRIGGER persons_tally_update AFTER UPDATE ON persons
WHEN OLD.area_code IS NOT NEW.area_code OR OLD.status IS NOT NEW.status
    OR OLD.population_type IS NOT NEW.population_type
    OR OLD.marital_status IS NOT NEW.marital_status OR OLD.sex IS NOT NEW.sex
    OR substr(OLD.birth_date, 1, 4) IS NOT substr(NEW.birth_date, 1, 4)
    OR OLD.pregnant IS NOT NEW.pregnant
    OR substr(OLD.name, 1, 1) IS NOT substr(NEW.name, 1, 1)
BEGIN
    UPDATE person_tallies SET n = n - 1
    WHERE area_code IN ('', substr(OLD.area_code, 1, 6), substr(OLD.area_code, 1, 9))
      AND status = OLD.status AND population_type = OLD.population_type
      AND marital_status = OLD.marital_status AND sex = OLD.sex
      AND birth_year = CAST(substr(OLD.birth_date, 1, 4) AS INTEGER)
      AND pregnant = OLD.pregnant;
    UPDATE name_tallies SET n = n - 1
    WHERE area_code IN ('', substr(OLD.area_code, 1, 6), substr(OLD.area_code, 1, 9))
      AND status = OLD.status AND initial = substr(OLD.name, 1, 1);
    INSERT INTO person_tallies SELECT level, NEW.status, NEW.population_type,
        NEW.marital_status, NEW.sex, CAST(substr(NEW.birth_date, 1, 4) AS INTEGER),
        NEW.pregnant, 1
        FROM (SELECT '' AS level UNION ALL SELECT substr(NEW.area_code, 1, 6)
              UNION ALL SELECT substr(NEW.area_code, 1, 9) WHERE length(NEW.area_code) >= 9)
        WHERE true ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO name_tallies SELECT level, NEW.status, substr(NEW.name, 1, 1), 1
        FROM (SELECT '' AS level UNION ALL SELECT substr(NEW.area_code, 1, 6)
              UNION ALL SELECT substr(NEW.area_code, 1, 9) WHERE length(NEW.area_code) >= 9)
        WHERE true ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER persons_tally_delete AFTER DELETE ON persons BEGIN
    UPDATE person_tallies SET n = n - 1
    WHERE area_code IN ('', substr(OLD.area_code, 1, 6), substr(OLD.area_code, 1, 9))
      AND status = OLD.status AND population_type = OLD.population_type
      AND marital_status = OLD.marital_status AND sex = OLD.sex
      AND birth_year = CAST(substr(OLD.birth_date, 1, 4) AS INTEGER)
      AND pregnant = OLD.pregnant;
    UPDATE name_tallies SET n = n - 1
    WHERE area_code IN ('', substr(OLD.area_code, 1, 6), substr(OLD.area_code, 1, 9))
      AND status = OLD.status AND initial = substr(OLD.name, 1, 1);
END;

-- The boundary years of an age filter are counted from the people born in them: this index
-- holds every column the count checks, so it never reads the table.
CREATE INDEX persons_born_count ON persons (birth_date, area_code, status, population_type, marital_status, sex, pregnant);

-- A name search counts from the name index alone, whatever else the list filters on: the
-- commonest surname is 9 % of a city, and reading its rows to check an area or a type took
-- hundreds of milliseconds at 1,000,000 people.
DROP INDEX persons_name_id;
CREATE INDEX persons_name_id ON persons (name, id_number, area_code, status, population_type, marital_status, sex, birth_date, pregnant);
-- A name with the end of an ID number ("王 1234") starts from the ID number's last four
-- characters: one person in ten thousand, where the name alone may be 9 % of the city.
CREATE INDEX persons_id_tail ON persons (substr(id_number, -4));
