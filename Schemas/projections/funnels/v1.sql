-- funnels v1 (SPEC §4.4). funnel_definition holds the steps of data/funnels.json the database
-- was built with; funnel_steps is computed from it and funnel_sessions on every read, so it is
-- always consistent with the per-session rows.
CREATE TABLE funnel_sessions (
    funnel       TEXT    NOT NULL,
    session_id   TEXT    NOT NULL,
    site_id      TEXT    NOT NULL,
    reached_step INTEGER NOT NULL,
    PRIMARY KEY (funnel, session_id)
) WITHOUT ROWID;
CREATE INDEX funnel_sessions_by_step ON funnel_sessions (funnel, reached_step);
CREATE TABLE funnel_definition (
    funnel     TEXT    NOT NULL,
    site_id    TEXT,                -- NULL: the funnel counts sessions of every site
    step_index INTEGER NOT NULL,
    step_name  TEXT    NOT NULL,
    PRIMARY KEY (funnel, step_index)
) WITHOUT ROWID;
CREATE VIEW funnel_steps AS
WITH counted AS (
    SELECT d.funnel, d.step_index, d.step_name,
           (SELECT count(*) FROM funnel_sessions f WHERE f.funnel = d.funnel AND f.reached_step >= d.step_index) AS sessions
    FROM funnel_definition d
)
SELECT funnel, step_index, step_name, sessions,
       CASE WHEN first_value(sessions) OVER w = 0 THEN NULL
            ELSE CAST(sessions AS REAL) / first_value(sessions) OVER w END AS conversion_rate,
       CASE WHEN sessions = 0 OR lead(sessions) OVER w IS NULL THEN NULL
            ELSE CAST(sessions - lead(sessions) OVER w AS REAL) / sessions END AS drop_off_rate
FROM counted
WINDOW w AS (PARTITION BY funnel ORDER BY step_index);
