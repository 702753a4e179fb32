#!/usr/bin/env python3
"""Realistic sessionlog producer traffic as NDJSON (one payload per line, each with its "v").

Sessions are sent the way real producers send them (SPEC §1): V3 payloads re-sent cumulatively
with the checkpoint logic (a pageview is re-sent with growing duration/scroll until final),
V2 session starts and renewals (renewals carry the original attribution), and V1 legacy events
from old clients. A share of invalid payloads can be mixed in.

    Tools/gen_traffic.py --payloads 100000 --seed 7 > traffic.ndjson
"""
import argparse
import itertools
from datetime import datetime, timezone
import json
import random
import signal
import sys

SITES = ["shop", "blog", "docs"]
PAGES = {  # path pattern: (title, where visitors go next, the goal a visit may reach: (name, value, chance))
    "/": ("Home", ["/products", "/products/{n}", "/pricing", "/blog/{n}", "/search", "/about"], None),
    "/products": ("Products", ["/products/{n}", "/products/{n}", "/search", "/"], None),
    "/products/{n}": ("Product detail", ["/products/{n}", "/cart", "/cart", "/products"], ("add_to_cart", 19.99, 0.4)),
    "/cart": ("Your cart", ["/checkout", "/checkout", "/products/{n}"], None),
    "/checkout": ("Checkout", ["/checkout/payment", "/checkout/payment", "/cart"], None),
    "/checkout/payment": ("Payment", ["/account", "/"], ("purchase", 89.5, 0.7)),
    "/blog/{n}": ("Blog post", ["/blog/{n}", "/", "/pricing"], ("newsletter", 0, 0.1)),
    "/docs/getting-started": ("Getting started", ["/docs/api/{n}", "/pricing"], ("download", 0, 0.3)),
    "/docs/api/{n}": ("API reference", ["/docs/api/{n}", "/docs/getting-started"], None),
    "/search": ("Search results", ["/products/{n}", "/products"], None),
    "/account": ("Account", ["/", "/products"], None),
    "/pricing": ("Pricing", ["/docs/getting-started", "/account", "/"], ("signup", 0, 0.3)),
    "/about": ("About us", ["/", "/pricing"], None),
}
LANDINGS = ["/", "/", "/", "/products/{n}", "/blog/{n}", "/pricing", "/docs/getting-started"]
SOURCES = [  # (utm_source, utm_medium, referrer)
    ("google", "cpc", "https://www.google.com/"), ("google", "organic", "https://www.google.com/"),
    ("newsletter", "email", None), ("facebook", "social", "https://m.facebook.com/"),
    ("bing", "cpc", "https://www.bing.com/"), (None, None, None), (None, None, "https://news.ycombinator.com/"),
    ("partner-site", "affiliate", "https://partner.example/"), ("instagram", "paid_social", "https://l.instagram.com/"),
]
CAMPAIGNS = ["winter", "spring-sale", "dec-week-1", "retargeting-q4", "brand", None]


def visit(rng, site):
    """Yields the pages of one visit along the site's links, each as (path, url, title, goal or
    None): a landing page, then wherever visitors go next from there."""
    pattern = rng.choice(LANDINGS)
    while True:
        title, onward, goal = PAGES[pattern]
        path = pattern.replace("{n}", str(rng.randrange(1, 500)))
        reached = goal[:2] if goal and rng.random() < goal[2] else None
        yield path, f"https://{site}.example{path}", title, reached
        pattern = rng.choice(onward)


def attributes(rng, landing):
    """A V3 session's landing context: where it came from, and the page it landed on."""
    source, medium, referrer = rng.choice(SOURCES)
    campaign = rng.choice(CAMPAIGNS) if source else None
    query = "&".join(f"{k}={v}" for k, v in (("utm_source", source), ("utm_medium", medium), ("utm_campaign", campaign)) if v)
    landing += f"?{query}" if query else ""
    if medium == "cpc" and rng.random() < 0.5:
        landing += ("&" if query else "?") + "gclid=" + "".join(rng.choice("abcdefghijklmnop0123456789") for _ in range(24))
    return {"landing_page": landing, "referrer": referrer, "utm_source": source, "utm_medium": medium,
            "utm_campaign": campaign, "utm_term": None, "utm_content": None, "ref": None, "source": None,
            "segment_id": rng.choice(["new", "returning", "vip", None]), "ab_test_id": rng.choice(["hero", "pricing", None]),
            "ab_test_variant_id": rng.choice(["a", "b"]), "campaign_id": f"c-{rng.randrange(1, 40)}",
            "landing_page_id": f"lp-{rng.randrange(1, 20)}"}


def v3_session(rng, now, context=None):
    """Yields the cumulative V3 payloads of one session, as a producer would send them: the session
    a V2 `context` started, or a new one."""
    if context:
        site, sid, uid = context["site_id"], context["session_id"], context["user_id"]
    else:
        site, sid, uid = rng.choice(SITES), f"s-{rng.getrandbits(64):016x}", f"u-{rng.getrandbits(40):010x}"
    pages = visit(rng, site)
    landing = next(pages)
    attrs = attributes(rng, landing[1])
    actions, acked, t = [], 0, now
    for number, (path, url, title, goal) in zip(range(1, rng.randint(1, 9) + 1), itertools.chain([landing], pages)):
        pv = {"type": "pageview", "page_number": number, "path": path, "url": url, "title": title,
              "entered_at": t, "duration_ms": 0, "scroll": 0}
        actions.append(pv)
        for _ in range(rng.randint(0, 2)):  # re-sends with growing duration/scroll until final
            pv["duration_ms"] += rng.randint(1000, 20000)
            pv["scroll"] = min(100, pv["scroll"] + rng.randint(5, 40))
            yield payload_v3(sid, uid, site, t + pv["duration_ms"], acked, attrs, actions)
        pv["final"] = True
        if goal:
            name, value = goal
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


def v2_context(rng, now, previous):
    """A V2 session start, or for some sessions the renewal of `previous` (a V2 context of the same
    producer's earlier session, whose user and site the renewal keeps)."""
    renew = previous is not None and rng.random() < 0.4
    site = previous["site_id"] if renew else rng.choice(SITES)
    uid = previous["user_id"] if renew else f"u-{rng.getrandbits(40):010x}"
    source, medium, referrer = rng.choice(SOURCES)
    body = {"v": 2, "kind": "start", "session_id": f"s-{rng.getrandbits(64):016x}", "user_id": uid,
            "site_id": site, "started_at": now, "expires_at": now + 1800000,
            "segment_id": rng.choice(["new", "returning"]), "campaign_id": f"c-{rng.randrange(1, 40)}",
            "attribution": {"original": {"utm_source": source, "utm_medium": medium, "referrer": referrer,
                                         "landing_page": f"https://{site}.example/", "timestamp": now - 86400000},
                            "current": {"utm_source": rng.choice(["newsletter", "google", None])}}}
    if renew:
        body["kind"], body["old_session_id"] = "renew", previous["session_id"]
    return body


def v1_events(rng, now):
    """Yields one legacy client's V1 events for a visit: pageviews and the events on each page."""
    site = rng.choice(SITES)
    sid, uid = f"s1-{rng.getrandbits(64):016x}", f"u-{rng.getrandbits(40):010x}"
    source, medium, referrer = rng.choice(SOURCES)
    seq, pages = 0, visit(rng, site)
    for _ in range(rng.randint(1, 4)):
        _, url, _, goal = next(pages)
        if source:
            url += f"?utm_source={source}&utm_medium={medium}"
        kinds = rng.sample(["click", "scroll", "form_submit"], rng.randint(0, 2)) + (["conversion"] if goal else [])
        for kind in ["pageview"] + kinds:
            seq += 1
            now += rng.randint(1000, 30000)
            stamp = datetime.fromtimestamp(now / 1000, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
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


def payloads(rng, clock, concurrent=2000, v1_share=0.08, v2_share=0.15, invalid_share=0.0):
    """Yields payloads forever, as a site's producers send them: up to `concurrent` sessions live at
    once and their payloads interleave. A payload is a dict (valid) or a str (an invalid line).
    `clock()` is called once per payload and gives the time in ms (synthetic or real)."""
    live, previous = [], None
    while True:
        now = clock()
        if rng.random() < invalid_share:
            yield rng.choice(INVALID)
            continue
        if len(live) < concurrent and (not live or rng.random() < 0.2):
            if rng.random() < v1_share:
                live.append(v1_events(rng, now))
            elif rng.random() < v2_share:
                previous = v2_context(rng, now, previous)
                yield previous
                live.append(v3_session(rng, now, previous))
            else:
                live.append(v3_session(rng, now))
            continue
        source = rng.randrange(len(live))
        try:
            yield next(live[source])
        except StopIteration:
            live[source] = live[-1]
            live.pop()


def line(payload):
    """A payload as one NDJSON line (without the newline)."""
    return payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))


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
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends the output quietly
    rng = random.Random(args.seed)
    now = args.start_ms

    def clock():  # synthetic: a few ms between payloads
        nonlocal now
        now += rng.randint(1, 40)
        return now

    stream = payloads(rng, clock, args.concurrent, args.v1_share, args.v2_share, args.invalid_share)
    for _ in range(args.payloads):
        sys.stdout.write(line(next(stream)) + "\n")


if __name__ == "__main__":
    main()
