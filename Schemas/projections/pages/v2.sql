-- pages v2 (SPEC §4.2): one row per (session_id, page_number); the V3 change added scroll and version.
CREATE TABLE pages (
    site_id     TEXT    NOT NULL,
    session_id  TEXT    NOT NULL,
    page_number INTEGER NOT NULL,
    path        TEXT    NOT NULL,
    url         TEXT,
    title       TEXT,
    entered_at  INTEGER NOT NULL,
    duration_ms INTEGER,            -- NULL only for a V1 last page without later events
    scroll      NUMERIC,            -- 0–100; NULL when unknown
    version     INTEGER NOT NULL,   -- offset of the write that produced the row
    PRIMARY KEY (session_id, page_number)
) WITHOUT ROWID;
CREATE INDEX pages_by_site_path ON pages (site_id, path);
