-- pages v1 (pre-V3): as v2 without scroll and version.
CREATE TABLE pages (
    site_id     TEXT    NOT NULL,
    session_id  TEXT    NOT NULL,
    page_number INTEGER NOT NULL,
    path        TEXT    NOT NULL,
    url         TEXT,
    title       TEXT,
    entered_at  INTEGER NOT NULL,
    duration_ms INTEGER,
    PRIMARY KEY (session_id, page_number)
) WITHOUT ROWID;
CREATE INDEX pages_by_site_path ON pages (site_id, path);
