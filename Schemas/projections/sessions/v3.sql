-- sessions v3 (SPEC §4.3): v2's columns and index, stored in a rowid table. SQLite then lays
-- the rows out in the order sessions first appear in the log, so the sessions a following
-- projector updates (the active, recent ones) share the table's last pages, and a commit dirties
-- those pages and not one page per session as v2's WITHOUT ROWID table keyed by the random
-- session id does (docs/measurements.md, session 41). session_id stays the primary key, through
-- its unique index, which changes only when a session is first stored.
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
);
CREATE INDEX sessions_by_site_start ON sessions (site_id, started_at);
