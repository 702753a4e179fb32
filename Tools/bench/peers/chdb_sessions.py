#!/usr/bin/env python3
"""chDB (in-process ClickHouse) peer for the projection benchmark: loads the V3 pageviews of the
same NDJSON into pages ENGINE = ReplacingMergeTree(version) ORDER BY (session_id, page_number),
then computes and stores the sessions aggregates by SQL. Prints the elapsed seconds.

    Tools/bench/peers/chdb_sessions.py traffic.ndjson /tmp/chdb-dir
"""
import sys, time
from chdb import session as chs

source, path = sys.argv[1], sys.argv[2]
started = time.perf_counter()
s = chs.Session(path)
s.query("CREATE DATABASE IF NOT EXISTS bench")
s.query("DROP TABLE IF EXISTS bench.pages")
s.query("DROP TABLE IF EXISTS bench.goals")
s.query("DROP TABLE IF EXISTS bench.sessions")
s.query("""CREATE TABLE bench.pages (session_id String, site_id String, page_number UInt32, path String,
    entered_at Int64, duration_ms Int64, version UInt64)
    ENGINE = ReplacingMergeTree(version) ORDER BY (session_id, page_number)""")
s.query("""CREATE TABLE bench.goals (session_id String, seq UInt64, goal_at Int64, value Float64, version UInt64)
    ENGINE = ReplacingMergeTree(version) ORDER BY (session_id, seq)""")
raw = f"""
    SELECT rowNumberInAllBlocks() AS line, json FROM file('{source}', 'LineAsString', 'json String')
"""
s.query(f"""INSERT INTO bench.pages
    SELECT JSONExtractString(json, 'session_id'), JSONExtractString(json, 'site_id'),
           JSONExtractUInt(a, 'page_number'), JSONExtractString(a, 'path'), JSONExtractInt(a, 'entered_at'),
           JSONExtractInt(a, 'duration_ms'), line
    FROM ({raw}) ARRAY JOIN JSONExtractArrayRaw(json, 'actions') AS a
    WHERE JSONExtractInt(json, 'v') = 3 AND JSONExtractString(a, 'type') = 'pageview'""")
s.query(f"""INSERT INTO bench.goals
    SELECT JSONExtractString(json, 'session_id'), JSONExtractUInt(json, 'checkpoint') + i - 1,
           JSONExtractInt(a, 'at'), JSONExtractFloat(a, 'value'), line
    FROM ({raw}) ARRAY JOIN JSONExtractArrayRaw(json, 'actions') AS a, arrayEnumerate(JSONExtractArrayRaw(json, 'actions')) AS i
    WHERE JSONExtractInt(json, 'v') = 3 AND JSONExtractString(a, 'type') = 'goal'""")
s.query("""CREATE TABLE bench.sessions ENGINE = MergeTree ORDER BY session_id AS
    SELECT p.session_id AS session_id, any(p.site_id) AS site_id, count() AS page_count,
           least(min(p.entered_at), any(g.first_at)) AS started_at, greatest(max(p.entered_at + p.duration_ms), any(g.last_at)) AS ended_at,
           argMin(p.path, p.page_number) AS entry_path, argMax(p.path, p.page_number) AS exit_path,
           any(g.goal_count) AS goal_count, any(g.goal_value) AS goal_value,
           toJSONString(arraySlice(arrayMap(x -> x.2, arraySort(groupArray((p.page_number, p.path)))), 1, 100)) AS journey
    FROM (SELECT * FROM bench.pages FINAL) AS p
    LEFT JOIN (SELECT session_id, count() AS goal_count, sum(value) AS goal_value, min(goal_at) AS first_at, max(goal_at) AS last_at
               FROM bench.goals FINAL GROUP BY session_id) AS g USING (session_id)
    GROUP BY p.session_id""")
count = s.query("SELECT count() FROM bench.sessions", "CSV").bytes().decode().strip()
print(f"{time.perf_counter() - started:.3f} {count}")
