-- A month's report as the station submitted it (上报): the total's cells, who and when. Reports
-- of a closed month show these beside the current figures (迟报调整). Reopening deletes the row;
-- the audit trail keeps who reopened it and why.
CREATE TABLE stat_closed (
    area_code TEXT NOT NULL,
    month     BIGINT NOT NULL,
    closed_at TEXT NOT NULL,
    closed_by TEXT NOT NULL,
    cells     TEXT NOT NULL,
    PRIMARY KEY (area_code, month)
);

-- The day of the next month by which a month's figures are reported (default the 5th): a
-- month can be closed after it.
ALTER TABLE stat_state ADD COLUMN deadline_day INTEGER NOT NULL DEFAULT 5;
