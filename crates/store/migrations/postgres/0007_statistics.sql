-- Statistics' counters (core::stats): per area at every level ('' is the whole register) and
-- per cell. Stock cells hold dated changes, so a day's stock is the sum of the changes up to
-- it; flow cells hold the month's events. stat_month keeps every month from the base year on;
-- stat_year keeps each year's stock changes summed (year 0: everything before the base year),
-- so a month's stock reads the years before it and the months of its own year.
CREATE TABLE stat_month (
    area_code TEXT NOT NULL,
    month     BIGINT NOT NULL,
    cell      TEXT NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (area_code, month, cell)
);

CREATE TABLE stat_year (
    area_code TEXT NOT NULL,
    year      BIGINT NOT NULL,
    cell      TEXT NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (area_code, year, cell)
);

-- The counters' base year and the last day they have reached (birthdays after it are not in
-- them yet). NULL horizon: never built.
CREATE TABLE stat_state (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    base_year INTEGER NOT NULL,
    horizon   TEXT
);
INSERT INTO stat_state (id, base_year, horizon) VALUES (1, 2020, NULL);
