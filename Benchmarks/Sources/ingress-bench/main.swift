// ingress-bench: acknowledged throughput and ack latency of a running `sessionlog ingress`, from
// N connections with one request in flight each (threads, blocking sockets: no client framework).
//
//   ingress-bench SOCKET TRAFFIC.ndjson CONNECTIONS SECONDS [single|batch:N] [RATE]
//
// With RATE (requests/s over all connections), each connection sends on a fixed schedule
// instead of as fast as it can; latency is measured from each request's actual send.
import Foundation
import Ingress
import Synchronization

let arguments = CommandLine.arguments
guard arguments.count >= 5, let connections = Int(arguments[3]), let seconds = Double(arguments[4]) else {
    FileHandle.standardError.write(Data("usage: ingress-bench SOCKET TRAFFIC.ndjson CONNECTIONS SECONDS [single|batch:N]\n".utf8))
    exit(2)
}
let socket = arguments[1]
let mode = arguments.count > 5 ? arguments[5] : "single"
let batchLines = mode.hasPrefix("batch:") ? Int(mode.dropFirst(6)) ?? 64 : 1
let rate = arguments.count > 6 ? Double(arguments[6]) : nil
// V2 payloads only: every one is valid on its own route and needs no session state.
let payloads = try String(contentsOfFile: arguments[2], encoding: .utf8).split(separator: "\n").map(String.init)
    .filter { $0.hasPrefix(#"{"v":2"#) && !$0.contains(#""kind":"renew""#) }
precondition(!payloads.isEmpty, "no V2 start payloads in the traffic file")

struct Totals {
    var payloads = 0
    var bytes = 0
    var errors = 0
    var latencies: [Double] = []
}
let totals = Mutex(Totals())
let deadline = Date().addingTimeInterval(seconds)
let threads = (0..<connections).map { index in
    Thread {
        guard let client = try? UnixHTTPClient(socketPath: socket) else { return }
        var local = Totals()
        var i = index
        let interval = rate.map { Double(connections) / $0 }
        var next = Date().addingTimeInterval(interval.map { $0 * Double(index) / Double(connections) } ?? 0)
        while Date() < deadline {
            if let interval {
                let wait = next.timeIntervalSinceNow
                if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
                next = next.addingTimeInterval(interval)
            }
            let lines = (0..<batchLines).map { k in payloads[(i + k * connections) % payloads.count] }
            i += batchLines * connections
            let started = Date()
            let response =
                batchLines == 1
                ? try? client.call("POST", "/v2/session", body: lines[0])
                : try? client.call("POST", "/batch", body: lines.joined(separator: "\n") + "\n")
            guard let response, response.status == 200 else {
                local.errors += 1
                break
            }
            local.latencies.append(Date().timeIntervalSince(started))
            local.payloads += lines.count
            local.bytes += lines.reduce(0) { $0 + $1.utf8.count }
        }
        totals.withLock { t in
            t.payloads += local.payloads
            t.bytes += local.bytes
            t.errors += local.errors
            t.latencies += local.latencies
        }
    }
}
let start = Date()
threads.forEach { $0.start() }
while !threads.allSatisfy(\.isFinished) { usleep(10_000) }
let elapsed = Date().timeIntervalSince(start)
let result = totals.withLock { $0 }
let sorted = result.latencies.sorted()
func percentile(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))] * 1000 }
print(String(format: "%@ c=%d%@: %.0f payloads/s, %.1f MB/s, p50 %.2f ms, p99 %.2f ms (requests %d, errors %d)",
    mode as NSString, connections, (rate.map { String(format: " at %.0f requests/s", $0) } ?? "") as NSString, Double(result.payloads) / elapsed, Double(result.bytes) / elapsed / 1e6,
    percentile(0.5), percentile(0.99), sorted.count, result.errors))
