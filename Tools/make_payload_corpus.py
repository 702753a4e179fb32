#!/usr/bin/env python3
"""Writes Tests/Fixtures/payloads/cases.jsonl: the payload conformance corpus (SPEC §1).

Each line: {"name", "route" (1, 2, 3, or null when the payload's own "v" chooses), "text" (the
payload's exact UTF-8 text) or "base64" (its exact bytes), "payload" (the same as a JSON value,
when it is one), "expect" ("ok" or
{"code", "path"}), "schema" (whether JSON Schema can judge it: false for I-JSON, size, depth and
cross-field rules, which only the Swift validator enforces)}.
The Swift tests check every case; Tools/check_schemas.py checks the "schema": true ones against
Schemas/*.schema.json. Regenerate after changing a case: Tools/make_payload_corpus.py
"""
import base64
import copy
import json
import os

V3 = {"v": 3, "session_id": "s-9f2c", "user_id": "u-118", "site_id": "shop", "sent_at": 1762000065000, "checkpoint": 2,
      "attributes": {"landing_page": "https://shop.example/?utm_source=google&utm_medium=cpc", "referrer": "https://www.google.com/",
                     "utm_source": "google", "utm_medium": "cpc", "utm_campaign": "winter", "utm_term": None, "utm_content": None,
                     "ref": None, "source": None, "segment_id": "returning", "ab_test_id": "hero", "ab_test_variant_id": "b",
                     "campaign_id": "c-7", "landing_page_id": "lp-3"},
      "actions": [{"type": "pageview", "page_number": 3, "path": "/cart", "entered_at": 1762000050000, "duration_ms": 15000, "scroll": 40, "final": True},
                  {"type": "goal", "page_number": 3, "name": "add_to_cart", "value": 19.99, "at": 1762000060000},
                  {"type": "pageview", "page_number": 4, "path": "/checkout", "entered_at": 1762000063000, "duration_ms": 2000, "scroll": 10}],
      "current_page": {"path": "/checkout"}}
V2 = {"v": 2, "kind": "renew", "session_id": "s-a771", "old_session_id": "s-9f2c", "user_id": "u-118", "site_id": "shop",
      "started_at": 1762001900000, "expires_at": 1762003700000, "segment_id": "returning", "ab_test_id": "hero", "ab_test_variant_id": "b",
      "campaign_id": "c-7", "landing_page_id": "lp-3",
      "attribution": {"original": {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "winter", "referrer": "https://www.google.com/",
                                   "landing_page": "https://shop.example/", "timestamp": 1762000000000},
                      "current": {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "dec-week-1"}}}
V1 = {"v": 1, "event_id": "e-5512", "event_type": "pageview", "timestamp": "2025-06-03T10:15:00.250Z", "session_id": "s-0101",
      "user_id": "u-7", "workspace_id": "w-1", "project_id": "shop", "campaign_id": "c-2", "landing_page_id": "lp-1",
      "page_url": "https://shop.example/products/42?utm_source=facebook&utm_medium=social", "referrer_url": "https://m.facebook.com/",
      "session_event_sequence": 1, "scroll_percentage": None, "time_on_page": None, "event_value": None, "event_value_type": None,
      "environment": "production", "metadata": "{}"}
BASE = {1: V1, 2: V2, 3: V3}
DELETE = object()
cases = []


def at(obj, path):
    for key in path[:-1]:
        obj = obj[key]
    return obj, path[-1]


def mutate(version, changes):
    body = copy.deepcopy(BASE[version])
    for path, value in changes:
        parent, key = at(body, path)
        if value is DELETE:
            del parent[key]
        else:
            parent[key] = value
    return body


def path_text(path):
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else ("." if out else "") + p
    return out


def ok(name, version, changes=(), route="same", schema=True):
    cases.append({"name": name, "route": version if route == "same" else route, "payload": mutate(version, changes),
                  "expect": "ok", "schema": schema})


def bad(name, version, changes, code, path=None, route="same", schema=True):
    if path is None:
        path = path_text(changes[0][0])
    cases.append({"name": name, "route": version if route == "same" else route, "payload": mutate(version, changes),
                  "expect": {"code": code, "path": path}, "schema": schema})


def raw(name, route, data, code, path="", text=True):
    case = {"name": name, "route": route, "expect": {"code": code, "path": path} if code else "ok", "schema": False}
    if text:
        case["text"] = data
    else:
        case["base64"] = base64.b64encode(data).decode()
    cases.append(case)


T53 = 2 ** 53
# ---- valid V3
ok("v3 spec example", 3)
ok("v3 minimal", 3, [(["checkpoint"], DELETE), (["attributes"], DELETE), (["current_page"], DELETE), (["actions"], [])])
ok("v3 without v (route implies it)", 3, [(["v"], DELETE)])
ok("v3 null optional fields", 3, [(["checkpoint"], None), (["attributes"], None), (["actions", 0, "scroll"], None), (["actions", 0, "final"], None), (["actions", 1, "value"], None)])
ok("v3 unknown fields are ignored", 3, [(["new_field"], {"x": [1, 2]}), (["actions", 0, "extra"], "anything")])
ok("v3 integer written as 3.0", 3, [(["actions", 0, "page_number"], 3.0)])
ok("v3 integer written with exponent", 3, [(["checkpoint"], 2e3)])
ok("v3 1000 actions", 3, [(["actions"], [{"type": "goal", "page_number": 1, "name": "g", "at": 1762000000000 + i} for i in range(1000)])])
ok("v3 path of 2048 characters", 3, [(["actions", 0, "path"], "/" + "a" * 2047)])
ok("v3 url of 8192 characters", 3, [(["actions", 0, "url"], "https://x/" + "a" * 8182)])
ok("v3 title of 1024 multi-byte characters", 3, [(["actions", 0, "title"], "é" * 1024)])
ok("v3 title of 1024 emoji", 3, [(["actions", 0, "title"], "😀" * 1024)])
ok("v3 id of 128 characters", 3, [(["session_id"], "s" * 128)])
ok("v3 id with every allowed punctuation", 3, [(["user_id"], "a.b_c:d-e")])
ok("v3 time 2^53-1", 3, [(["sent_at"], T53 - 1)])
ok("v3 time 1", 3, [(["sent_at"], 1)])
ok("v3 page_number 65535", 3, [(["actions", 0, "page_number"], 65535)])
ok("v3 scroll 0 and 100", 3, [(["actions", 0, "scroll"], 0), (["actions", 2, "scroll"], 100)])
ok("v3 duration max", 3, [(["actions", 0, "duration_ms"], 604800000)])
ok("v3 goal value negative float", 3, [(["actions", 1, "value"], -12.5)])
ok("v3 goal name of 128 characters", 3, [(["actions", 1, "name"], "n" * 128)])
ok("v3 current_page anything", 3, [(["current_page"], [1, "x", None])])
ok("v3 attributes all null", 3, [(["attributes"], {k: None for k in V3["attributes"]})])
ok("v3 attributes timestamp", 3, [(["attributes", "timestamp"], 1762000000000)])
ok("v3 empty strings are valid (absent for the fold)", 3, [(["attributes", "utm_source"], ""), (["actions", 0, "title"], "   ")])
ok("v3 checkpoint large", 3, [(["checkpoint"], T53 - 1)])
ok("v3 huge integer in an unknown field", 3, [(["extra"], 123456789012345678901234567890)], schema=True)
ok("v3 via payload v (import)", 3, route=None)
ok("v3 final false", 3, [(["actions", 0, "final"], False)])
ok("v3 big integer as value", 3, [(["actions", 1, "value"], 1e300)])
# ---- invalid V3
for field in ["session_id", "user_id", "site_id", "sent_at", "actions"]:
    bad(f"v3 missing {field}", 3, [([field], DELETE)], "missing_field")
    bad(f"v3 null {field}", 3, [([field], None)], "missing_field")
for field in ["session_id", "user_id", "site_id"]:
    bad(f"v3 {field} with a space", 3, [([field], "has space")], "invalid_id")
    bad(f"v3 {field} empty", 3, [([field], "")], "invalid_id")
    bad(f"v3 {field} too long", 3, [([field], "x" * 129)], "invalid_id")
    bad(f"v3 {field} a number", 3, [([field], 42)], "wrong_type")
bad("v3 id with a slash", 3, [(["session_id"], "a/b")], "invalid_id")
bad("v3 id with non-ASCII", 3, [(["session_id"], "séance")], "invalid_id")
bad("v3 sent_at zero", 3, [(["sent_at"], 0)], "out_of_range")
bad("v3 sent_at negative", 3, [(["sent_at"], -5)], "out_of_range")
bad("v3 sent_at 2^53", 3, [(["sent_at"], T53)], "out_of_range")
bad("v3 sent_at fractional", 3, [(["sent_at"], 1762000065000.5)], "wrong_type")
bad("v3 sent_at a string", 3, [(["sent_at"], "1762000065000")], "wrong_type")
bad("v3 checkpoint negative", 3, [(["checkpoint"], -1)], "out_of_range")
bad("v3 checkpoint fractional", 3, [(["checkpoint"], 1.5)], "wrong_type")
bad("v3 actions not an array", 3, [(["actions"], {"0": 1})], "wrong_type")
bad("v3 1001 actions", 3, [(["actions"], [{"type": "goal", "page_number": 1, "name": "g", "at": 1} for _ in range(1001)])], "too_many_actions")
bad("v3 action not an object", 3, [(["actions", 1], "goal")], "wrong_type")
bad("v3 action unknown type", 3, [(["actions", 2, "type"], "scroll")], "unknown_action_type", "actions[2].type")
bad("v3 action missing type", 3, [(["actions", 0, "type"], DELETE)], "missing_field")
bad("v3 action type a number", 3, [(["actions", 0, "type"], 1)], "wrong_type")
bad("v3 page_number zero", 3, [(["actions", 0, "page_number"], 0)], "out_of_range")
bad("v3 page_number 65536", 3, [(["actions", 2, "page_number"], 65536)], "out_of_range")
bad("v3 page_number a string", 3, [(["actions", 0, "page_number"], "3")], "wrong_type")
bad("v3 page_number missing", 3, [(["actions", 0, "page_number"], DELETE)], "missing_field")
bad("v3 goal page_number missing", 3, [(["actions", 1, "page_number"], DELETE)], "missing_field")
bad("v3 path without slash", 3, [(["actions", 0, "path"], "cart")], "invalid_value")
bad("v3 path empty", 3, [(["actions", 0, "path"], "")], "out_of_range")
bad("v3 path too long", 3, [(["actions", 0, "path"], "/" + "a" * 2048)], "out_of_range")
bad("v3 path missing", 3, [(["actions", 0, "path"], DELETE)], "missing_field")
bad("v3 path null", 3, [(["actions", 0, "path"], None)], "missing_field")
bad("v3 url too long", 3, [(["actions", 0, "url"], "h" * 8193)], "out_of_range")
bad("v3 title too long", 3, [(["actions", 0, "title"], "t" * 1025)], "out_of_range")
bad("v3 title of 1025 emoji", 3, [(["actions", 0, "title"], "😀" * 1025)], "out_of_range")
bad("v3 entered_at missing", 3, [(["actions", 0, "entered_at"], DELETE)], "missing_field")
bad("v3 entered_at zero", 3, [(["actions", 0, "entered_at"], 0)], "out_of_range")
bad("v3 duration negative", 3, [(["actions", 0, "duration_ms"], -1)], "out_of_range")
bad("v3 duration over a week", 3, [(["actions", 0, "duration_ms"], 604800001)], "out_of_range")
bad("v3 scroll 101", 3, [(["actions", 0, "scroll"], 101)], "out_of_range")
bad("v3 scroll fractional", 3, [(["actions", 0, "scroll"], 40.5)], "wrong_type")
bad("v3 final a string", 3, [(["actions", 0, "final"], "true")], "wrong_type")
bad("v3 goal name empty", 3, [(["actions", 1, "name"], "")], "out_of_range")
bad("v3 goal name too long", 3, [(["actions", 1, "name"], "n" * 129)], "out_of_range")
bad("v3 goal name missing", 3, [(["actions", 1, "name"], DELETE)], "missing_field")
bad("v3 goal at missing", 3, [(["actions", 1, "at"], DELETE)], "missing_field")
bad("v3 goal value a string", 3, [(["actions", 1, "value"], "19.99")], "wrong_type")
bad("v3 attributes not an object", 3, [(["attributes"], "google")], "wrong_type")
bad("v3 utm_source a number", 3, [(["attributes", "utm_source"], 7)], "wrong_type")
bad("v3 utm_campaign too long", 3, [(["attributes", "utm_campaign"], "c" * 1025)], "out_of_range")
bad("v3 referrer too long", 3, [(["attributes", "referrer"], "r" * 8193)], "out_of_range")
bad("v3 segment_id too long", 3, [(["attributes", "segment_id"], "s" * 1025)], "out_of_range")
bad("v3 attributes timestamp zero", 3, [(["attributes", "timestamp"], 0)], "out_of_range")
bad("v3 v is 2", 3, [(["v"], 2)], "version_mismatch")
bad("v3 v is a string", 3, [(["v"], "3")], "wrong_type")
bad("v3 v fractional", 3, [(["v"], 3.5)], "wrong_type")
# ---- valid V2
ok("v2 spec example (renew)", 2)
ok("v2 start without old_session_id", 2, [(["kind"], "start"), (["old_session_id"], DELETE)])
ok("v2 start ignores old_session_id", 2, [(["kind"], "start"), (["old_session_id"], "s-a771")], schema=False)
ok("v2 minimal start", 2, [(["kind"], "start"), (["old_session_id"], DELETE), (["expires_at"], DELETE), (["attribution"], DELETE)] + [([k], DELETE) for k in ["segment_id", "ab_test_id", "ab_test_variant_id", "campaign_id", "landing_page_id"]])
ok("v2 expires_at equal to started_at", 2, [(["expires_at"], 1762001900000)])
ok("v2 attribution with nulls", 2, [(["attribution"], {"original": None, "current": {"utm_source": None}})])
ok("v2 unknown fields", 2, [(["attribution", "original", "gclid"], "abc"), (["unknown"], True)])
ok("v2 via payload v (import)", 2, route=None)
ok("v2 without v", 2, [(["v"], DELETE)])
# ---- invalid V2
for field in ["kind", "session_id", "user_id", "site_id", "started_at"]:
    bad(f"v2 missing {field}", 2, [([field], DELETE)], "missing_field")
bad("v2 renew missing old_session_id", 2, [(["old_session_id"], DELETE)], "missing_field")
bad("v2 renew null old_session_id", 2, [(["old_session_id"], None)], "missing_field")
bad("v2 kind unknown", 2, [(["kind"], "resume")], "invalid_value")
bad("v2 kind a number", 2, [(["kind"], 1)], "wrong_type")
bad("v2 self-renewal", 2, [(["old_session_id"], "s-a771")], "invalid_value", "old_session_id", schema=False)
bad("v2 expires before start", 2, [(["expires_at"], 1762001899999)], "out_of_range", "expires_at", schema=False)
bad("v2 old_session_id invalid", 2, [(["old_session_id"], "bad id")], "invalid_id")
bad("v2 started_at string", 2, [(["started_at"], "2025-01-01")], "wrong_type")
bad("v2 expires_at 2^53", 2, [(["expires_at"], T53)], "out_of_range")
bad("v2 original timestamp negative", 2, [(["attribution", "original", "timestamp"], -1)], "out_of_range")
bad("v2 current not an object", 2, [(["attribution", "current"], [])], "wrong_type")
bad("v2 attribution not an object", 2, [(["attribution"], "x")], "wrong_type")
bad("v2 landing_page too long", 2, [(["attribution", "original", "landing_page"], "l" * 8193)], "out_of_range")
bad("v2 campaign_id a number", 2, [(["campaign_id"], 7)], "wrong_type")
bad("v2 v is 3", 2, [(["v"], 3)], "version_mismatch")
# ---- valid V1
ok("v1 spec example", 1)
for kind in ["click", "scroll", "form_submit", "conversion"]:
    ok(f"v1 event_type {kind}", 1, [(["event_type"], kind)])
ok("v1 timestamp with offset", 1, [(["timestamp"], "2025-06-03T12:15:00.250+02:00")])
ok("v1 timestamp lower-case t and z", 1, [(["timestamp"], "2025-06-03t10:15:00z")])
ok("v1 timestamp without fraction", 1, [(["timestamp"], "2025-06-03T10:15:00Z")])
ok("v1 timestamp with 9 fraction digits", 1, [(["timestamp"], "2025-06-03T10:15:00.123456789Z")])
ok("v1 timestamp leap day", 1, [(["timestamp"], "2024-02-29T00:00:00Z")])
ok("v1 event_value number", 1, [(["event_value"], 25)])
ok("v1 event_value string", 1, [(["event_value"], "25.5")])
ok("v1 metadata object", 1, [(["metadata"], {"k": [1, 2]})])
ok("v1 scroll_percentage 100", 1, [(["scroll_percentage"], 100)])
ok("v1 scroll_percentage fractional", 1, [(["scroll_percentage"], 33.3)])
ok("v1 time_on_page fractional", 1, [(["time_on_page"], 1.25)])
ok("v1 optional strings absent", 1, [([k], DELETE) for k in ["workspace_id", "campaign_id", "landing_page_id", "referrer_url", "event_value_type", "environment", "metadata"]])
ok("v1 via payload v (import)", 1, route=None)
ok("v1 segment_id is just an unknown field", 1, [(["segment_id"], 17)])
# ---- invalid V1
for field in ["event_id", "event_type", "timestamp", "session_id", "user_id", "project_id", "page_url", "session_event_sequence"]:
    bad(f"v1 missing {field}", 1, [([field], DELETE)], "missing_field")
bad("v1 unknown event type", 1, [(["event_type"], "hover")], "unknown_event_type")
bad("v1 event_type a number", 1, [(["event_type"], 3)], "wrong_type")
bad("v1 timestamp without zone", 1, [(["timestamp"], "2025-06-03T10:15:00")], "invalid_timestamp")
bad("v1 timestamp date only", 1, [(["timestamp"], "2025-06-03")], "invalid_timestamp")
bad("v1 timestamp leap second", 1, [(["timestamp"], "2016-12-31T23:59:60Z")], "invalid_timestamp")
bad("v1 timestamp hour 24", 1, [(["timestamp"], "2025-06-03T24:00:00Z")], "invalid_timestamp")
bad("v1 timestamp empty fraction", 1, [(["timestamp"], "2025-06-03T10:15:00.Z")], "invalid_timestamp")
bad("v1 timestamp February 30", 1, [(["timestamp"], "2025-02-30T10:15:00Z")], "invalid_timestamp", schema=False)
bad("v1 timestamp space separator", 1, [(["timestamp"], "2025-06-03 10:15:00Z")], "invalid_timestamp")
bad("v1 timestamp epoch number", 1, [(["timestamp"], 1762000000000)], "wrong_type")
bad("v1 sequence zero", 1, [(["session_event_sequence"], 0)], "out_of_range")
bad("v1 sequence fractional", 1, [(["session_event_sequence"], 1.5)], "wrong_type")
bad("v1 scroll_percentage 101", 1, [(["scroll_percentage"], 101)], "out_of_range")
bad("v1 scroll_percentage negative", 1, [(["scroll_percentage"], -1)], "out_of_range")
bad("v1 time_on_page negative", 1, [(["time_on_page"], -0.5)], "out_of_range")
bad("v1 event_value boolean", 1, [(["event_value"], True)], "wrong_type")
bad("v1 metadata array", 1, [(["metadata"], [1])], "wrong_type")
bad("v1 project_id invalid", 1, [(["project_id"], "my shop")], "invalid_id")
bad("v1 page_url too long", 1, [(["page_url"], "u" * 8193)], "out_of_range")
bad("v1 environment too long", 1, [(["environment"], "e" * 1025)], "out_of_range")
bad("v1 page_url a number", 1, [(["page_url"], 1)], "wrong_type")
bad("v1 v is 3", 1, [(["v"], 3)], "version_mismatch")
# ---- routing by v (import, /batch)
bad("import without v", 3, [(["v"], DELETE)], "missing_field", "v", route=None)
bad("import v 4", 3, [(["v"], 4)], "invalid_value", "v", route=None)
bad("import v 0", 3, [(["v"], 0)], "invalid_value", "v", route=None)
# ---- whole-payload rules (Swift only)
v3text = json.dumps(V3, separators=(",", ":"))
raw("not json", 3, "not json", "invalid_json")
raw("empty body", 3, "", "invalid_json")
raw("truncated", 3, v3text[:-1], "invalid_json")
raw("trailing garbage", 3, v3text + " x", "invalid_json")
raw("trailing comma", 3, v3text[:-1] + ",}", "invalid_json")
raw("single quotes", 3, "{'v':3}", "invalid_json")
raw("leading zero", 3, v3text.replace('"checkpoint":2', '"checkpoint":02'), "invalid_json", "checkpoint")
raw("NaN literal", 3, v3text.replace('"checkpoint":2', '"checkpoint":NaN'), "invalid_json", "checkpoint")
raw("duplicate member", 3, v3text.replace('"checkpoint":2', '"checkpoint":2,"checkpoint":3'), "invalid_json")
raw("duplicate via escape", 3, v3text.replace('"checkpoint":2', '"checkpoint":2,"check\\u0070oint":3'), "invalid_json")
raw("duplicate in nested object", 3, v3text.replace('"path":"/cart"', '"path":"/cart","path":"/x"'), "invalid_json", "actions[0]")
raw("escaped member names are the same names", 3, v3text.replace('"session_id"', '"session\\u005fid"'), None)
raw("byte-order mark", 3, b"\xef\xbb\xbf" + v3text.encode(), "invalid_json", text=False)
raw("lone high surrogate", 3, v3text.replace('"/cart"', '"/\\ud800"'), "invalid_json", "actions[0].path")
raw("lone low surrogate", 3, v3text.replace('"/cart"', '"/\\udc00x"'), "invalid_json", "actions[0].path")
raw("surrogate pair is fine", 3, v3text.replace('"/cart"', '"/\\ud83d\\ude00"'), None)
raw("raw control character in string", 3, v3text.replace('"/cart"', '"/ca\trt"'), "invalid_json", "actions[0].path")
raw("invalid escape", 3, v3text.replace('"/cart"', '"/\\x41"'), "invalid_json", "actions[0].path")
raw("1e400 in a known field", 3, v3text.replace('"checkpoint":2', '"checkpoint":1e400'), "out_of_range", "checkpoint")
raw("1e400 in an unknown field", 3, v3text[:-1] + ',"extra":[1,{"deep":-1e400}]}', "out_of_range", "extra[1].deep")
raw("1e-400 is zero, fine", 3, v3text[:-1] + ',"extra":1e-400}', None)
raw("top-level array", 3, "[1,2]", "wrong_type")
raw("top-level string", 3, '"hello"', "wrong_type")
raw("top-level null", 3, "null", "wrong_type")
raw("whitespace around the object", 3, " \n\t" + v3text + "\r\n ", None)
deep_ok = '{"v":3,"session_id":"s","user_id":"u","site_id":"x","sent_at":1,"actions":[],"x":' + "[" * 30 + "]" * 30 + "}"
deep_bad = '{"v":3,"session_id":"s","user_id":"u","site_id":"x","sent_at":1,"actions":[],"x":' + "[" * 32 + "]" * 32 + "}"
raw("depth 32 is allowed", 3, deep_ok, None)
raw("depth 33 is too deep", 3, deep_bad, "too_deep", "x" + "[0]" * 31)
raw("invalid UTF-8 byte", 3, v3text.replace("/cart", "/caXrt").encode().replace(b"X", b"\xff"), "invalid_utf8", text=False)
raw("overlong UTF-8", 3, v3text.replace("/cart", "/caXrt").encode().replace(b"X", b"\xc0\xaf"), "invalid_utf8", text=False)
raw("UTF-8 surrogate", 3, v3text.replace("/cart", "/caXrt").encode().replace(b"X", b"\xed\xa0\x80"), "invalid_utf8", text=False)
raw("truncated UTF-8", 3, v3text.encode()[:-2] + b"\xe2\x82", "invalid_utf8", text=False)
raw("valid multi-byte UTF-8", 3, v3text.replace("/cart", "/caf\u00e9-\u20ac-\U0001F600").encode(), None, text=False)
# too_large is tested by PayloadValidatorTests (a 1 MiB fixture line would bloat the corpus).

for case in cases:  # the exact bytes the Swift tests feed the validator
    if "payload" in case:
        case["text"] = json.dumps(case["payload"], ensure_ascii=False, separators=(",", ":"))
names = [c["name"] for c in cases]
assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1]
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "..", "Tests", "Fixtures", "payloads", "cases.jsonl"), "w") as f:
    for case in cases:
        f.write(json.dumps(case, ensure_ascii=False, separators=(",", ":")) + "\n")
print(f"{len(cases)} cases: {sum(c['expect'] == 'ok' for c in cases)} valid, {sum(c['expect'] != 'ok' for c in cases)} invalid")
