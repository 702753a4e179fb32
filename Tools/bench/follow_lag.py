#!/usr/bin/env python3
"""Follow-mode lag of a projector: posts NDJSON lines to a running ingress's /batch at a steady
rate and, on another thread, polls the projection database's checkpoint; for every batch,
lag = time its records became visible (checkpoint past them) − time the ingress acknowledged
them (durable). Prints p50/p99/max in ms.

    Tools/bench/follow_lag.py SOCKET DB TRAFFIC.ndjson RATE SECONDS
"""
import http.client, json, socket, sqlite3, sys, threading, time

sock_path, db_path, traffic, rate, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
lines = [l for l in open(traffic, "rb").read().split(b"\n") if l]
per_batch = max(1, rate // 100)          # 100 requests a second
interval = per_batch / rate

class UnixConnection(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(sock_path)

visible = {}                             # next_offset -> first time seen
done = threading.Event()
def poll():
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
    last = -1
    while not done.is_set():
        try:
            (next_offset,) = db.execute("SELECT next_offset FROM _checkpoint").fetchone()
        except sqlite3.OperationalError:
            time.sleep(0.002); continue
        if next_offset != last:
            visible[next_offset] = time.perf_counter(); last = next_offset
        time.sleep(0.001)
poller = threading.Thread(target=poll); poller.start()

conn = UnixConnection("localhost")
acks = []                                 # (max offset of the batch, ack time)
start = time.perf_counter(); sent = 0; position = 0
while time.perf_counter() - start < seconds:
    body = b"\n".join(lines[(position + i) % len(lines)] for i in range(per_batch)) + b"\n"
    position += per_batch
    conn.request("POST", "/batch", body, {"Content-Type": "application/x-ndjson"})
    response = conn.getresponse(); answer = response.read()
    acked = time.perf_counter()
    offsets = [json.loads(l)["offset"] for l in answer.splitlines() if b'"offset"' in l]
    if response.status == 200 and offsets: acks.append((max(offsets), acked))
    sent += per_batch
    pause = start + sent / rate - time.perf_counter()
    if pause > 0: time.sleep(pause)
elapsed = time.perf_counter() - start
deadline = time.perf_counter() + 10
while time.perf_counter() < deadline and (not visible or max(visible) <= acks[-1][0]): time.sleep(0.01)
done.set(); poller.join()

seen = sorted(visible.items())
lags = []
for offset, acked in acks:
    at = next((t for next_offset, t in seen if next_offset > offset), None)
    if at is not None: lags.append(max(0.0, at - acked) * 1000)
lags.sort()
pick = lambda q: lags[min(len(lags) - 1, int(q * len(lags)))]
print(f"follow lag at {sent / elapsed:,.0f} payloads/s over {elapsed:.0f} s ({len(lags)} batches of {per_batch}): "
      f"p50 {pick(0.5):.1f} ms, p99 {pick(0.99):.1f} ms, max {lags[-1]:.1f} ms")
