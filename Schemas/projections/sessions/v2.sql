-- sessions v2 (SPEC §4.3): one row per session with at least one accepted record.
-- The V3 change added goal_count, goal_value and segment_id.
CREATE TABLE sessions (
    session_id         TEXT    NOT NULL PRIMARY KEY,
    site_id            TEXT    NOT NULL,
    user_id            TEXT    NOT NULL,
    started_at         INTEGER NOT NULL,
    ended_at           INTEGER NOT NULL,
    duration_ms        INTEGER NOT NULL,
    page_count         INTEGER NOT NULL,
    entry_path         TEXT,
    exit_path          TEXT,
    bounced            INTEGER,          -- 0/1; NULL without pages
    engaged            INTEGER NOT NULL, -- 0/1
    converted          INTEGER NOT NULL, -- 0/1
    goal_count         INTEGER NOT NULL,
    goal_value         REAL    NOT NULL,
    journey            TEXT    NOT NULL, -- compact JSON array of the first 100 paths
    segment_id         TEXT,
    ab_test_id         TEXT,
    ab_test_variant_id TEXT,
    campaign_id        TEXT,
    landing_page_id    TEXT,
    renewed_from       TEXT
) WITHOUT ROWID;
CREATE INDEX sessions_by_site_start ON sessions (site_id, started_at);
