#!/usr/bin/env python3
"""DuckDB peer for the projection benchmark: computes and stores a sessions table from the same
NDJSON the projector reads (CREATE TABLE ... AS SELECT), and prints the elapsed seconds.

The SQL follows SPEC §4.1/4.3 for V3 and V2 (pages last-write-wins by line order, goals deduped
by checkpoint + index, V2 started_at) and counts V1 event times; it does not replay V1 page
numbering, which the projector does.

    Tools/bench/peers/duckdb_sessions.py traffic.ndjson out.duckdb
"""
import sys, time, duckdb

source, target = sys.argv[1], sys.argv[2]
started = time.perf_counter()
db = duckdb.connect(target)
db.execute("SET preserve_insertion_order = false")
db.execute(f"""
CREATE OR REPLACE TABLE sessions AS
WITH raw AS (
    SELECT row_number() OVER () AS line, j
    FROM read_json('{source}', format = 'newline_delimited', records = false, columns = {{'j': 'JSON'}}, maximum_object_size = 2000000)
),
records AS (
    SELECT line, CAST(j->>'v' AS INT) AS v, j->>'session_id' AS session_id,
           coalesce(j->>'site_id', j->>'project_id') AS site_id, j->>'user_id' AS user_id, j
    FROM raw
),
actions AS (
    SELECT r.line, r.session_id, CAST(coalesce(r.j->>'checkpoint', '0') AS BIGINT) + a.i - 1 AS seq,
           CAST(r.j->'actions'->>((a.i - 1)::INT)->>'type' AS VARCHAR) AS type, r.j->'actions'->((a.i - 1)::INT) AS act
    FROM records r, range(1, CAST(json_array_length(r.j->'actions') AS BIGINT) + 1) AS a(i)
    WHERE r.v = 3
),
pages AS (
    SELECT session_id, CAST(act->>'page_number' AS INT) AS page_number,
           arg_max(act->>'path', line) AS path,
           arg_max(CAST(act->>'entered_at' AS BIGINT), line) AS entered_at,
           arg_max(CAST(coalesce(act->>'duration_ms', '0') AS BIGINT), line) AS duration_ms
    FROM actions WHERE type = 'pageview' GROUP BY ALL
),
goals AS (
    SELECT session_id, seq, arg_max(CAST(act->>'at' AS BIGINT), line) AS goal_at,
           arg_max(CAST(coalesce(act->>'value', '0') AS DOUBLE), line) AS value
    FROM actions WHERE type = 'goal' GROUP BY ALL
),
page_stats AS (
    SELECT session_id, count(*) AS page_count, min(entered_at) AS first_entered, max(entered_at + duration_ms) AS last_end,
           arg_min(path, page_number) AS entry_path, arg_max(path, page_number) AS exit_path,
           to_json(list(path ORDER BY page_number)[1:100]) AS journey
    FROM pages GROUP BY session_id
),
goal_stats AS (
    SELECT session_id, count(*) AS goal_count, sum(value) AS goal_value, min(goal_at) AS first_at, max(goal_at) AS last_at
    FROM goals GROUP BY session_id
),
record_stats AS (
    SELECT session_id, arg_min(site_id, line) AS site_id, arg_min(user_id, line) AS user_id,
           min(CASE WHEN v = 2 THEN CAST(j->>'started_at' AS BIGINT) END) AS v2_started,
           min(CASE WHEN v = 1 THEN epoch_ms(CAST(j->>'timestamp' AS TIMESTAMPTZ)) END) AS v1_first,
           max(CASE WHEN v = 1 THEN epoch_ms(CAST(j->>'timestamp' AS TIMESTAMPTZ)) END) AS v1_last,
           min(CASE WHEN v = 3 THEN CAST(j->>'sent_at' AS BIGINT) END) AS sent_at,
           arg_min(CASE WHEN v = 2 THEN j->>'segment_id' ELSE j->'attributes'->>'segment_id' END, line)
               FILTER (WHERE coalesce(j->>'segment_id', j->'attributes'->>'segment_id') IS NOT NULL) AS segment_id
    FROM records GROUP BY session_id
)
SELECT r.session_id, r.site_id, r.user_id,
       coalesce(least(r.v2_started, p.first_entered, g.first_at, r.v1_first), r.sent_at) AS started_at,
       coalesce(greatest(p.last_end, g.last_at, r.v1_last), least(r.v2_started, r.sent_at)) AS ended_at,
       coalesce(p.page_count, 0) AS page_count, p.entry_path, p.exit_path,
       CASE WHEN p.page_count IS NULL THEN NULL ELSE (p.page_count = 1 AND g.goal_count IS NULL)::INT END AS bounced,
       coalesce(g.goal_count, 0) AS goal_count, coalesce(g.goal_value, 0) AS goal_value,
       (g.goal_count > 0)::INT AS converted, coalesce(p.journey, '[]') AS journey, r.segment_id
FROM record_stats r LEFT JOIN page_stats p USING (session_id) LEFT JOIN goal_stats g USING (session_id)
""")
count = db.execute("SELECT count(*) FROM sessions").fetchone()[0]
db.close()
print(f"{time.perf_counter() - started:.3f} {count}")
