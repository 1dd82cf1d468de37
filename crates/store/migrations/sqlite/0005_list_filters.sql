-- The people list answers every filter it offers from an index (issue 11: 流出 + 离婚 took
-- 1.2 s at 300,000 people, walking the area index for a rare combination).

-- A rare filter finds its matches here, then the few are sorted.
CREATE INDEX persons_population ON persons (population_type, marital_status, birth_date);
CREATE INDEX persons_marital ON persons (marital_status, birth_date);
CREATE INDEX persons_birth ON persons (birth_date, id);
CREATE INDEX persons_pregnant ON persons (area_code, id) WHERE pregnant = 1;
-- Exact counts read this index alone, never the table.
CREATE INDEX persons_count ON persons (area_code, status, population_type, marital_status, sex, birth_date, pregnant);
-- Sorting by the last change.
CREATE INDEX persons_updated ON persons (updated_at, id);
-- A name with the end of an ID number ("王 1234"), and the last four digits of a phone.
CREATE INDEX persons_name_id ON persons (name, id_number);
CREATE INDEX persons_phone_tail ON persons (substr(phone, -4));
