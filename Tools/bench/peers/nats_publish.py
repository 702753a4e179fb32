#!/usr/bin/env python3
"""NATS JetStream peer for the ingress benchmark: C concurrent publishers, each publishing the
same payload and awaiting its JetStream ack before the next (like one request in flight per
producer connection), for S seconds. Prints acked messages/s and p50/p99 ack latency.

    Tools/bench/peers/nats_publish.py nats://127.0.0.1:4222 PAYLOAD_FILE CONCURRENCY SECONDS
"""
import asyncio, sys, time
import nats

async def main():
    url, payload_file, concurrency, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    payload = open(payload_file, "rb").read().strip()
    nc = await nats.connect(url)
    js = nc.jetstream()
    try:
        await js.delete_stream("BENCH")
    except Exception:
        pass
    await js.add_stream(name="BENCH", subjects=["bench"], storage="file")
    latencies = []
    deadline = time.monotonic() + seconds
    async def publisher():
        while time.monotonic() < deadline:
            started = time.perf_counter()
            await js.publish("bench", payload)
            latencies.append(time.perf_counter() - started)
    started = time.monotonic()
    await asyncio.gather(*(publisher() for _ in range(concurrency)))
    elapsed = time.monotonic() - started
    await nc.close()
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
    print(f"nats jetstream c={concurrency}: {len(latencies) / elapsed:,.0f} acked/s, p50 {pick(0.5):.2f} ms, p99 {pick(0.99):.2f} ms")

asyncio.run(main())
