#!/usr/bin/env python3
"""Load generator for `sessionlog ingress`: realistic producers over the Unix socket.

Each connection plays a producer: it runs sessions whose V3 payloads are re-sent cumulatively and
trimmed by the server's checkpoint answer (SPEC §1.1), starts and renews sessions with V2, sends
some V1 events, retries a share of requests with the same Idempotency-Key (the answer must be
identical), and sends a share of invalid payloads (which must get 400). Reports throughput and
latency percentiles; exits 1 if any answer breaks those rules.

    Tools/loadgen.py --socket data/ingress.sock --connections 16 --duration 10 [--rate 5000]
"""
import argparse
import asyncio
import json
import random
import time


class Producer:
    def __init__(self, rng, index, run):
        # `run` tags this run's ids and keys: a second run with the same seed is new traffic, not
        # a replay of the first run's keys with other bytes (which the ingress answers with 409).
        self.rng, self.index, self.run, self.sessions = rng, index, run, 0
        self.session = None

    def next_request(self):
        """Returns (path, body, key, expect_ok) for the next request of this producer."""
        rng = self.rng
        roll = rng.random()
        if roll < self.invalid_share:
            return "/v3/session", json.dumps({"v": 3, "session_id": "bad id", "actions": []}), None, False
        if self.session is None or roll < 0.05:
            self.sessions += 1
            previous = self.session["id"] if self.session else None
            self.session = {"id": f"s-{self.run}-{self.index}-{self.sessions}-{rng.getrandbits(32):08x}", "page": 0, "pending": [], "checkpoint": 0,
                            "t": int(time.time() * 1000)}
            body = {"v": 2, "kind": "renew" if previous else "start", "session_id": self.session["id"], "user_id": f"u-{self.index}",
                    "site_id": "shop", "started_at": self.session["t"], "segment_id": "returning"}
            if previous:
                body["old_session_id"] = previous
            return "/v2/session", json.dumps(body), None, True
        if roll < 0.12:
            event = {"v": 1, "event_id": f"e-{self.run}-{rng.getrandbits(64):016x}", "event_type": "pageview", "timestamp": "2025-06-03T10:15:00.250Z",
                     "session_id": f"s1-{self.index}", "user_id": f"u-{self.index}", "project_id": "shop",
                     "page_url": f"https://shop.example/p/{rng.randrange(500)}?utm_source=google", "session_event_sequence": rng.randrange(1, 50)}
            return "/v1/events", json.dumps(event), None, True
        s = self.session
        s["t"] += rng.randrange(500, 20000)
        if not s["pending"] or s["pending"][-1]["type"] == "goal" or s["pending"][-1].get("final"):
            s["page"] += 1
            s["pending"].append({"type": "pageview", "page_number": s["page"], "path": f"/p/{rng.randrange(300)}",
                                 "url": f"https://shop.example/p/{rng.randrange(300)}", "title": "Product", "entered_at": s["t"],
                                 "duration_ms": 0, "scroll": 0})
        page = s["pending"][-1]
        page["duration_ms"] += rng.randrange(1000, 15000)
        page["scroll"] = min(100, page["scroll"] + rng.randrange(5, 40))
        if rng.random() < 0.4:
            page["final"] = True
            if rng.random() < 0.2:
                s["pending"].append({"type": "goal", "page_number": s["page"], "name": "add_to_cart", "value": 19.99, "at": s["t"]})
        body = {"v": 3, "session_id": s["id"], "user_id": f"u-{self.index}", "site_id": "shop", "sent_at": s["t"],
                "checkpoint": s["checkpoint"], "attributes": {"utm_source": "google", "utm_medium": "cpc",
                                                              "landing_page": "https://shop.example/?utm_source=google"},
                "actions": s["pending"]}
        return "/v3/session", json.dumps(body, separators=(",", ":")), f"k-{self.run}-{rng.getrandbits(64):016x}", True

    def acknowledged(self, answer):
        if self.session and "checkpoint" in answer:
            dropped = answer["checkpoint"] - self.session["checkpoint"]
            self.session["pending"] = self.session["pending"][dropped:]
            self.session["checkpoint"] = answer["checkpoint"]


async def request(reader, writer, path, body, key):
    data = body.encode()
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(data)}\r\n" + (f"Idempotency-Key: {key}\r\n" if key else "") + "\r\n"
    writer.write(head.encode() + data)
    status_line = await reader.readline()
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return int(status_line.split()[1]), await reader.readexactly(length)


async def producer_loop(args, index, deadline, stats, pacing):
    rng = random.Random(args.seed * 1000 + index)
    producer = Producer(rng, index, args.run)
    producer.invalid_share = args.invalid_share
    reader, writer = await asyncio.open_unix_connection(args.socket)
    while time.monotonic() < deadline:
        if pacing:
            # The pacer stops at the deadline too: never wait for a token past it.
            try:
                await asyncio.wait_for(pacing.get(), timeout=max(0.0, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                break
        path, body, key, expect_ok = producer.next_request()
        started = time.perf_counter()
        status, answer = await request(reader, writer, path, body, key)
        stats["latencies"].append(time.perf_counter() - started)
        stats["status"][status] = stats["status"].get(status, 0) + 1
        stats["bytes"] += len(body)
        if (status == 200) != expect_ok:
            stats["violations"].append(f"{path} got {status}: {answer[:200]!r}")
        if status == 200:
            parsed = json.loads(answer)
            producer.acknowledged(parsed)
            if key and rng.random() < args.retry_share:  # a retry must get the identical answer
                retry_status, retry = await request(reader, writer, path, body, key)
                stats["retries"] += 1
                if retry_status != 200 or retry != answer:
                    stats["violations"].append(f"retry of {key} got {retry_status} {retry[:100]!r}, first {answer[:100]!r}")
    writer.close()


async def pacer(queue, rate, deadline):
    interval = 1.0 / rate
    next_at = time.monotonic()
    while time.monotonic() < deadline:
        next_at += interval
        try:  # producers stop at the deadline: a full queue must not hold the pacer forever
            await asyncio.wait_for(queue.put(None), timeout=max(0.0, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            break
        delay = next_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--socket", default="data/ingress.sock")
    parser.add_argument("--connections", "--concurrency", type=int, default=16, help="concurrent producers, one connection each")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds")
    parser.add_argument("--rate", type=float, default=0, help="requests/s in total (0: as fast as possible)")
    parser.add_argument("--retry-share", type=float, default=0.05)
    parser.add_argument("--invalid-share", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    args.run = f"{time.time_ns() // 1_000_000:x}"  # ms: distinct for runs started apart
    stats = {"latencies": [], "status": {}, "bytes": 0, "retries": 0, "violations": []}
    deadline = time.monotonic() + args.duration
    pacing = asyncio.Queue(maxsize=args.connections * 2) if args.rate else None
    tasks = [producer_loop(args, i, deadline, stats, pacing) for i in range(args.connections)]
    if pacing:
        tasks.append(pacer(pacing, args.rate, deadline))
    started = time.monotonic()
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - started
    lat = sorted(stats["latencies"])
    pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else 0
    print(json.dumps({"requests": len(lat), "retries": stats["retries"], "seconds": round(elapsed, 3),
                      "requests_per_s": round(len(lat) / elapsed), "mb_per_s": round(stats["bytes"] / elapsed / 1e6, 2),
                      "p50_ms": round(pct(0.50), 3), "p99_ms": round(pct(0.99), 3), "status": stats["status"],
                      "violations": len(stats["violations"])}))
    for violation in stats["violations"][:5]:
        print("violation:", violation)
    raise SystemExit(1 if stats["violations"] else 0)


if __name__ == "__main__":
    asyncio.run(main())
