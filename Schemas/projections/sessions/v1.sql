-- sessions v1 (pre-V3): as v2 without goal_count, goal_value and segment_id.
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
    bounced            INTEGER,
    engaged            INTEGER NOT NULL,
    converted          INTEGER NOT NULL,
    journey            TEXT    NOT NULL,
    ab_test_id         TEXT,
    ab_test_variant_id TEXT,
    campaign_id        TEXT,
    landing_page_id    TEXT,
    renewed_from       TEXT
) WITHOUT ROWID;
CREATE INDEX sessions_by_site_start ON sessions (site_id, started_at);
