#!/usr/bin/env python3
"""Load generator for `sessionlog ingress`: realistic producers over the Unix socket.

Each connection plays a producer of Tools/gen_traffic.py's traffic, at the real time: a few live
sessions whose V3 payloads are re-sent cumulatively and trimmed by the checkpoint rule (SPEC §1.1;
every V3 answer's checkpoint must be the rule's), sessions started and renewed with V2, legacy V1
visits. It retries a share of requests with the same Idempotency-Key (the answer must be identical)
and sends a share of invalid payloads (which must get 400). Reports throughput and latency
percentiles; exits 1 if any answer breaks those rules.

A connection that is lost (the ingress restarted, or killed under `sessionlog up`) is opened again,
waiting 50 ms doubling to 1 s, until the deadline. The request it carried is sent again when it has
an Idempotency-Key (the ingress then answers the original answer or appends it now: either way it
is appended once); one without a key is not, as it may already be in the log, and is counted
`in_doubt`. `--acked FILE` writes each acknowledged record as `OFFSET SHA256` (of the body with CR
and LF as spaces, as `replay` prints it), for Tools/check_acked.py to find in the log afterwards.

    Tools/loadgen.py --socket data/ingress.sock --connections 16 --duration 10 [--rate 5000] [--processes 2] [--acked FILE]

`client_cpu` in the report is the share of the time its processes were busy: near 1, the client
was the limit (one process tops out at a few thousand requests/s); add processes.
"""
import argparse
import asyncio
import collections
import json
import multiprocessing
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_acked  # noqa: E402  (the one digest of an acknowledged body: Tools/check_acked.py)
import gen_traffic  # noqa: E402  (the one traffic model: Tools/gen_traffic.py)

ROUTES = {1: "/v1/events", 2: "/v2/session", 3: "/v3/session"}
TAGGED_IDS = ("session_id", "old_session_id", "event_id")
CONNECTION_LOST = (ConnectionError, asyncio.IncompleteReadError)  # reset, broken pipe, refused; closed mid-answer


def is_final(action):
    return action["type"] == "goal" or action.get("final") is True


class Producer:
    """One connection's producer: a few live sessions of gen_traffic's model whose payloads
    interleave, sent at the real time, with the answer each must get."""

    def __init__(self, rng, run, invalid_share):
        # `run` tags this run's ids and keys: a second run with the same seed is new traffic, not
        # a replay of the first run's keys with other bytes (which the ingress answers with 409).
        self.rng, self.run = rng, run
        self.stream = gen_traffic.payloads(rng, lambda: time.time_ns() // 1_000_000, concurrent=8, invalid_share=invalid_share)

    def next_request(self):
        """Returns (path, body, key, valid, checkpoint): an invalid payload must get 400, a valid
        one 200 with, for V3, the checkpoint the rule gives (SPEC §1.1; None for V1 and V2)."""
        payload = next(self.stream)
        if isinstance(payload, str):
            version = payload.partition('"v":')[2][:1]
            return ROUTES.get(int(version) if version.isdigit() else 3, "/v3/session"), payload, None, False, None
        payload = {**payload, **{name: f"{payload[name]}-{self.run}" for name in TAGGED_IDS if payload.get(name)}}  # a copy: the model keeps its own
        body = gen_traffic.line(payload)
        if payload["v"] != 3:
            return ROUTES[payload["v"]], body, None, True, None
        final = 0  # the longest prefix of actions that are all final (goals always are)
        while final < len(payload["actions"]) and is_final(payload["actions"][final]):
            final += 1
        return ROUTES[3], body, f"k-{self.run}-{self.rng.getrandbits(64):016x}", True, payload["checkpoint"] + final


class Connection:
    """A producer's connection to the ingress, opened again after a loss until the deadline."""

    def __init__(self, socket, deadline, stats):
        self.socket, self.deadline, self.stats = socket, deadline, stats
        self.reader = self.writer = None

    @property
    def connected(self):
        return self.writer is not None

    async def open(self):
        self.reader, self.writer = await asyncio.open_unix_connection(self.socket)

    async def call(self, path, body, key):
        """(status, body), or None when the answer cannot be known: the connection was lost with an
        unkeyed request in flight, or the keyed one could not be sent again before the deadline."""
        while True:
            try:
                return await self.exchange(path, body, key)
            except CONNECTION_LOST:
                self.close()
                if not await self.reopen() or key is None:
                    self.stats["in_doubt"] += 1
                    return None

    async def reopen(self):
        delay = 0.05
        while time.monotonic() + delay < self.deadline:
            await asyncio.sleep(delay)
            try:
                await self.open()
                self.stats["reconnects"] += 1
                return True
            except (ConnectionError, FileNotFoundError):
                delay = min(delay * 2, 1.0)
        return False

    async def exchange(self, path, body, key):
        data = body.encode()
        head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(data)}\r\n" + (f"Idempotency-Key: {key}\r\n" if key else "") + "\r\n"
        self.writer.write(head.encode() + data)
        answer_head = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in answer_head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return int(answer_head.split(None, 2)[1]), await self.reader.readexactly(length)

    def close(self):
        if self.writer:
            self.writer.close()
            self.writer = None


async def producer_loop(args, index, deadline, stats, pacing):
    rng = random.Random(args.seed * 1000 + index)
    producer = Producer(rng, args.run, args.invalid_share)
    connection = Connection(args.socket, deadline, stats)
    await connection.open()
    while connection.connected and time.monotonic() < deadline:
        if pacing:
            # The pacer stops at the deadline too: never wait for a token past it.
            try:
                await asyncio.wait_for(pacing.get(), timeout=max(0.0, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                break
        path, body, key, valid, checkpoint = producer.next_request()
        started = time.perf_counter()
        answered = await connection.call(path, body, key)
        if answered is None:
            continue
        status, answer = answered
        stats["latencies"].append(time.perf_counter() - started)
        stats["status"][status] = stats["status"].get(status, 0) + 1
        stats["bytes"] += len(body)
        if (status == 200) != valid:
            stats["violations"].append(f"{path} got {status}: {answer[:200]!r}")
        if status == 200:
            answer_object = json.loads(answer)
            if answer_object.get("checkpoint") != checkpoint:  # the producer drops exactly the acknowledged actions
                stats["violations"].append(f"{path} answered checkpoint {answer_object.get('checkpoint')}, the rule gives {checkpoint}")
            if args.acked:
                stats["acked"].append(f"{answer_object['offset']} {check_acked.digest_as_replayed(body.encode())}\n")
            if key and rng.random() < args.retry_share:  # a retry must get the identical answer
                retried = await connection.call(path, body, key)
                stats["retries"] += 1
                if retried is not None and retried != (200, answer):
                    stats["violations"].append(f"retry of {key} got {retried!r:.100}, first {answer[:100]!r}")
    connection.close()


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


async def producers(args, indices, rate, deadline, stats):
    pacing = asyncio.Queue(maxsize=len(indices) * 2) if rate else None
    tasks = [producer_loop(args, i, deadline, stats, pacing) for i in indices]
    if pacing:
        tasks.append(pacer(pacing, rate, deadline))
    await asyncio.gather(*tasks)


def worker(args, indices, rate, deadline):
    """One process's share of the producers (its own event loop); returns its figures and the CPU
    time it used, so the report can say when the client, not the ingress, was the limit."""
    stats = {"latencies": [], "status": {}, "bytes": 0, "retries": 0, "reconnects": 0, "in_doubt": 0, "violations": [], "acked": []}
    cpu = time.process_time()
    try:
        asyncio.run(producers(args, indices, rate, deadline, stats))
    except (FileNotFoundError, ConnectionRefusedError) as error:
        stats["error"] = f"cannot connect to {args.socket}: {error.strerror} (is the ingress running?)"
    stats["cpu"] = time.process_time() - cpu
    return stats


def run_workers(args, shares, deadline):
    """Runs each share of the producers in a forked process and collects their figures, each
    sent back through its own pipe (read before joining, so no child blocks on a full pipe)."""
    context = multiprocessing.get_context("fork")
    workers = []
    for share in shares:
        receiver, sender = context.Pipe(duplex=False)
        rate = args.rate * len(share) / args.connections
        process = context.Process(target=lambda sender=sender, share=share, rate=rate: sender.send(worker(args, share, rate, deadline)))
        process.start()
        sender.close()
        workers.append((process, receiver))
    results = []
    for process, receiver in workers:
        try:
            results.append(receiver.recv())
        except EOFError:
            process.join()
            raise SystemExit(f"loadgen: a client process ended without its figures (exit status {process.exitcode})")
        process.join()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--socket", default="data/ingress.sock")
    parser.add_argument("--connections", "--concurrency", type=int, default=16, help="concurrent producers, one connection each")
    parser.add_argument("--processes", type=int, default=1,
                        help="client processes sharing the connections and the rate (one Python process tops out at a few thousand requests/s)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds")
    parser.add_argument("--rate", type=float, default=0, help="requests/s in total (0: as fast as possible)")
    parser.add_argument("--retry-share", type=float, default=0.05)
    parser.add_argument("--invalid-share", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--acked", metavar="FILE", help="write each acknowledged record's offset and body digest (for Tools/check_acked.py)")
    args = parser.parse_args()
    if not 1 <= args.processes <= args.connections:
        parser.error("--processes must be between 1 and --connections")
    args.run = f"{time.time_ns() // 1_000_000:x}"  # ms: distinct for runs started apart
    shares = [range(p, args.connections, args.processes) for p in range(args.processes)]
    started = time.monotonic()
    deadline = started + args.duration
    results = run_workers(args, shares, deadline)
    elapsed = time.monotonic() - started
    errors = sorted({result["error"] for result in results if "error" in result})
    if errors:
        raise SystemExit("loadgen: " + "; ".join(errors))
    lat = sorted(latency for result in results for latency in result["latencies"])
    status = collections.Counter()
    for result in results:
        status.update(result["status"])
    violations = [violation for result in results for violation in result["violations"]]
    if args.acked:
        with open(args.acked, "w") as acked:
            acked.writelines(line for result in results for line in result["acked"])
    total = lambda name: sum(result[name] for result in results)  # a counter over every process
    client_cpu = total("cpu") / (elapsed * args.processes)
    pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else 0
    print(json.dumps({"requests": len(lat), "retries": total("retries"), "reconnects": total("reconnects"),
                      "in_doubt": total("in_doubt"), "seconds": round(elapsed, 3),
                      "requests_per_s": round(len(lat) / elapsed), "mb_per_s": round(total("bytes") / elapsed / 1e6, 2),
                      "p50_ms": round(pct(0.50), 3), "p90_ms": round(pct(0.90), 3),
                      "p99_ms": round(pct(0.99), 3), "max_ms": round(pct(1.0), 3), "status": dict(status),
                      "violations": len(violations), "client_cpu": round(client_cpu, 2)}))
    if client_cpu > 0.9:
        print(f"loadgen: its processes were busy {client_cpu:.0%} of the time: the figures above are the client's limit, "
              f"not necessarily the ingress's; add --processes (have cores to spare)", file=sys.stderr)
    for violation in violations[:5]:
        print("violation:", violation)
    raise SystemExit(1 if violations else 0)


if __name__ == "__main__":
    main()
