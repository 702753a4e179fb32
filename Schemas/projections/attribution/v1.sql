-- attribution v1 (SPEC §4.5): one row per session; attribution_channels aggregates it per site,
-- model and channel on every read.
CREATE TABLE attribution (
    session_id              TEXT    NOT NULL PRIMARY KEY,
    site_id                 TEXT    NOT NULL,
    user_id                 TEXT    NOT NULL,
    root_session_id         TEXT    NOT NULL,
    renewal_count           INTEGER NOT NULL,
    first_source            TEXT,
    first_medium            TEXT,
    first_campaign          TEXT,
    first_term              TEXT,
    first_content           TEXT,
    first_referrer_domain   TEXT,
    first_landing_page      TEXT,
    first_channel           TEXT    NOT NULL,
    last_source             TEXT,
    last_medium             TEXT,
    last_campaign           TEXT,
    last_term               TEXT,
    last_content            TEXT,
    last_referrer_domain    TEXT,
    last_channel            TEXT    NOT NULL,
    last_non_direct_channel TEXT    NOT NULL,
    converted               INTEGER NOT NULL,
    goal_count              INTEGER NOT NULL,
    goal_value              REAL    NOT NULL
) WITHOUT ROWID;
CREATE VIEW attribution_channels AS
SELECT site_id, 'first_touch' AS model, first_channel AS channel, count(*) AS sessions,
       sum(converted) AS conversions, total(goal_value) AS goal_value
FROM attribution GROUP BY site_id, first_channel
UNION ALL
SELECT site_id, 'last_touch', last_channel, count(*), sum(converted), total(goal_value)
FROM attribution GROUP BY site_id, last_channel
UNION ALL
SELECT site_id, 'last_non_direct', last_non_direct_channel, count(*), sum(converted), total(goal_value)
FROM attribution GROUP BY site_id, last_non_direct_channel;
