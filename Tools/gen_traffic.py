#!/usr/bin/env python3
"""Realistic sessionlog producer traffic as NDJSON (one payload per line, each with its "v").

Sessions are sent the way real producers send them (SPEC §1): V3 payloads re-sent cumulatively
with the checkpoint logic (a pageview is re-sent with growing duration/scroll until final),
V2 session starts and renewals (renewals carry the original attribution), and V1 legacy events
from old clients. A share of invalid payloads can be mixed in.

    Tools/gen_traffic.py --payloads 100000 --seed 7 > traffic.ndjson
"""
import argparse
import json
import random
import sys

SITES = ["shop", "blog", "docs"]
PATHS = ["/", "/products", "/products/{n}", "/cart", "/checkout", "/checkout/payment", "/blog/{n}",
         "/docs/getting-started", "/docs/api/{n}", "/search", "/account", "/pricing", "/about"]
TITLES = ["Home", "Products", "Product detail", "Your cart", "Checkout", "Payment", "Blog post",
          "Getting started", "API reference", "Search results", "Account", "Pricing", "About us"]
SOURCES = [  # (utm_source, utm_medium, referrer)
    ("google", "cpc", "https://www.google.com/"), ("google", "organic", "https://www.google.com/"),
    ("newsletter", "email", None), ("facebook", "social", "https://m.facebook.com/"),
    ("bing", "cpc", "https://www.bing.com/"), (None, None, None), (None, None, "https://news.ycombinator.com/"),
    ("partner-site", "affiliate", "https://partner.example/"), ("instagram", "paid_social", "https://l.instagram.com/"),
]
CAMPAIGNS = ["winter", "spring-sale", "dec-week-1", "retargeting-q4", "brand", None]
GOALS = [("add_to_cart", 19.99), ("signup", 0), ("purchase", 89.5), ("newsletter", 0), ("download", 0)]


def page(rng, site):
    i = rng.randrange(len(PATHS))
    path = PATHS[i].replace("{n}", str(rng.randrange(1, 500)))
    return path, f"https://{site}.example{path}", TITLES[i]


def attributes(rng, site):
    source, medium, referrer = rng.choice(SOURCES)
    campaign = rng.choice(CAMPAIGNS) if source else None
    query = "&".join(f"{k}={v}" for k, v in (("utm_source", source), ("utm_medium", medium), ("utm_campaign", campaign)) if v)
    landing = f"https://{site}.example/" + (f"?{query}" if query else "")
    if medium == "cpc" and rng.random() < 0.5:
        landing += ("&" if query else "?") + "gclid=" + "".join(rng.choice("abcdefghijklmnop0123456789") for _ in range(24))
    return {"landing_page": landing, "referrer": referrer, "utm_source": source, "utm_medium": medium,
            "utm_campaign": campaign, "utm_term": None, "utm_content": None, "ref": None, "source": None,
            "segment_id": rng.choice(["new", "returning", "vip", None]), "ab_test_id": rng.choice(["hero", "pricing", None]),
            "ab_test_variant_id": rng.choice(["a", "b"]), "campaign_id": f"c-{rng.randrange(1, 40)}",
            "landing_page_id": f"lp-{rng.randrange(1, 20)}"}


def v3_session(rng, index, now):
    """Yields the cumulative V3 payloads of one session, as a producer would send them."""
    site = rng.choice(SITES)
    sid, uid = f"s-{rng.getrandbits(64):016x}", f"u-{rng.getrandbits(40):010x}"
    attrs = attributes(rng, site)
    actions, acked, t = [], 0, now
    for number in range(1, rng.randint(1, 9) + 1):
        path, url, title = page(rng, site)
        pv = {"type": "pageview", "page_number": number, "path": path, "url": url, "title": title,
              "entered_at": t, "duration_ms": 0, "scroll": 0}
        actions.append(pv)
        for _ in range(rng.randint(0, 2)):  # re-sends with growing duration/scroll until final
            pv["duration_ms"] += rng.randint(1000, 20000)
            pv["scroll"] = min(100, pv["scroll"] + rng.randint(5, 40))
            yield payload_v3(sid, uid, site, t + pv["duration_ms"], acked, attrs, actions)
        pv["final"] = True
        if rng.random() < 0.25:
            name, value = rng.choice(GOALS)
            actions.append({"type": "goal", "page_number": number, "name": name, "value": value, "at": t + 500})
        t += pv["duration_ms"] + rng.randint(500, 5000)
        body = payload_v3(sid, uid, site, t, acked, attrs, actions)
        yield body
        acked += len(actions)  # everything sent so far was final: the server acknowledges it all
        actions = []


def payload_v3(sid, uid, site, sent_at, checkpoint, attrs, actions):
    body = {"v": 3, "session_id": sid, "user_id": uid, "site_id": site, "sent_at": sent_at, "checkpoint": checkpoint}
    body["attributes"] = attrs  # producers re-send the session's landing context with every payload
    body["actions"] = [dict(a) for a in actions]
    pageviews = [a for a in actions if a["type"] == "pageview"]
    body["current_page"] = {"path": pageviews[-1]["path"]} if pageviews else None
    return body


def v2_context(rng, index, now, previous):
    site = rng.choice(SITES)
    source, medium, referrer = rng.choice(SOURCES)
    body = {"v": 2, "kind": "start", "session_id": f"s2-{rng.getrandbits(64):016x}", "user_id": f"u-{rng.getrandbits(40):010x}",
            "site_id": site, "started_at": now, "expires_at": now + 1800000,
            "segment_id": rng.choice(["new", "returning"]), "campaign_id": f"c-{rng.randrange(1, 40)}",
            "attribution": {"original": {"utm_source": source, "utm_medium": medium, "referrer": referrer,
                                         "landing_page": f"https://{site}.example/", "timestamp": now - 86400000},
                            "current": {"utm_source": rng.choice(["newsletter", "google", None])}}}
    if previous and rng.random() < 0.4:
        body["kind"], body["old_session_id"] = "renew", previous
    return body


def v1_events(rng, index, now):
    site = rng.choice(SITES)
    sid, uid = f"s1-{rng.getrandbits(64):016x}", f"u-{rng.getrandbits(40):010x}"
    source, medium, referrer = rng.choice(SOURCES)
    seq = 0
    for _ in range(rng.randint(1, 4)):
        path, url, _ = page(rng, site)
        if source:
            url += f"?utm_source={source}&utm_medium={medium}"
        for kind in ["pageview"] + rng.sample(["click", "scroll", "form_submit", "conversion"], rng.randint(0, 2)):
            seq += 1
            now += rng.randint(1000, 30000)
            ms = now % 1000
            stamp = f"2025-06-{3 + (now // 86400000) % 20:02d}T{(now // 3600000) % 24:02d}:{(now // 60000) % 60:02d}:{(now // 1000) % 60:02d}.{ms:03d}Z"
            yield {"v": 1, "event_id": f"e-{rng.getrandbits(64):016x}", "event_type": kind, "timestamp": stamp, "session_id": sid,
                   "user_id": uid, "workspace_id": "w-1", "project_id": site, "campaign_id": f"c-{rng.randrange(1, 40)}",
                   "landing_page_id": None, "page_url": url, "referrer_url": referrer, "session_event_sequence": seq,
                   "scroll_percentage": rng.randint(0, 100) if kind == "scroll" else None,
                   "time_on_page": None, "event_value": 25 if kind == "conversion" else None,
                   "event_value_type": "number" if kind == "conversion" else None, "environment": "production",
                   "metadata": "{}"}


INVALID = ['{"v":3,"session_id":"s-1","user_id":"u","site_id":"x","sent_at":1,"actions":[{"type":"teleport"}]}',
           '{"v":3,"session_id":"has space","user_id":"u","site_id":"x","sent_at":1,"actions":[]}',
           '{"v":2,"kind":"start"}', '{"v":1,"event_id":"e","event_type":"hover"}', 'not json', '[1,2,3]',
           '{"v":3,"session_id":"s","user_id":"u","site_id":"x","sent_at":1e400,"actions":[]}']


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payloads", type=int, default=10000, help="number of lines to write")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrent", type=int, default=2000, help="sessions live at once (their payloads interleave)")
    parser.add_argument("--v1-share", type=float, default=0.08, help="share of new sessions sent as V1 events")
    parser.add_argument("--v2-share", type=float, default=0.15, help="share of new sessions announced by a V2 context")
    parser.add_argument("--invalid-share", type=float, default=0.0, help="share of invalid lines")
    parser.add_argument("--start-ms", type=int, default=1762000000000)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    out = sys.stdout
    live, written, index, now, previous = [], 0, 0, args.start_ms, None
    while written < args.payloads:
        now += rng.randint(1, 40)
        if rng.random() < args.invalid_share:
            out.write(rng.choice(INVALID) + "\n")
            written += 1
            continue
        if len(live) < args.concurrent and (not live or rng.random() < 0.2):
            index += 1
            if rng.random() < args.v1_share:
                live.append(v1_events(rng, index, now))
            else:
                if rng.random() < args.v2_share:
                    body = v2_context(rng, index, now, previous)
                    previous = body["session_id"]
                    out.write(json.dumps(body, separators=(",", ":")) + "\n")
                    written += 1
                live.append(v3_session(rng, index, now))
            continue
        source = rng.randrange(len(live))
        try:
            out.write(json.dumps(next(live[source]), separators=(",", ":")) + "\n")
            written += 1
        except StopIteration:
            live[source] = live[-1]
            live.pop()


if __name__ == "__main__":
    main()
