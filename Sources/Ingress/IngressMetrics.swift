import LogStore
import Synchronization

/// The ingress's own counters, and the Prometheus text exposition of `GET /metrics`.
/// Thread-safe (`Mutex`).
final class IngressMetrics: Sendable {
    private struct Counts {
        var requests: [Answered: Int] = [:]
        var rejects: [String: Int] = [:]  // code → count
    }

    /// A route ("other" for a target with no route) and an answer's status.
    private struct Answered: Hashable {
        var route: IngressRoute?
        var status: UInt
    }

    private let counts = Mutex(Counts())
    /// Reads held back because requests in flight were over `pendingBytesMax`.
    let backpressurePauses = ManagedCounter()

    /// An answer was written; `route` is nil for a target with no route.
    func answered(route: IngressRoute?, status: UInt) {
        counts.withLock { $0.requests[Answered(route: route, status: status), default: 0] += 1 }
    }

    /// A payload was rejected (single route or `/batch` line).
    func rejected(_ code: String) {
        counts.withLock { $0.rejects[code, default: 0] += 1 }
    }

    /// Prometheus text format 0.0.4.
    func render(log: LogWriter, quarantine: LogWriter, inFlight: Int, connections: Int) -> String {
        let (requests, rejects) = counts.withLock { ($0.requests, $0.rejects) }
        var text = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, String)]) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, value) in samples { text += "\(name)\(labels) \(value)\n" }
        }
        let writers = [("main", log.metrics.snapshot, log.queuedBytes), ("quarantine", quarantine.metrics.snapshot, quarantine.queuedBytes)]
        metric("sessionlog_appended_records_total", "counter", "Records appended and synced.", writers.map { ("{log=\"\($0.0)\"}", String($0.1.records)) })
        metric("sessionlog_appended_bytes_total", "counter", "Raw record bytes appended and synced.", writers.map { ("{log=\"\($0.0)\"}", String($0.1.rawBytes)) })
        metric("sessionlog_failed_appends_total", "counter", "Append requests that failed (disk full, stopped writer).", writers.map { ("{log=\"\($0.0)\"}", String($0.1.failedAppends)) })
        metric("sessionlog_queued_bytes", "gauge", "Raw bytes waiting for the writer (queue depth).", writers.map { ("{log=\"\($0.0)\"}", String($0.2)) })
        for (log, snapshot, _) in writers {
            text += Self.histogram("sessionlog_group_commit_records", "Records per group commit (one write, one fdatasync).", snapshot.recordsPerGroup, log)
            text += Self.histogram("sessionlog_fsync_seconds", "fdatasync latency per group commit.", snapshot.fsyncSeconds, log)
        }
        metric("sessionlog_requests_total", "counter", "HTTP requests answered, by route and status.",
            requests.map { key, value in ("{route=\"\(key.route?.rawValue ?? "other")\",status=\"\(key.status)\"}", String(value)) }.sorted { $0.0 < $1.0 })
        metric("sessionlog_rejects_total", "counter", "Payloads rejected, by error code.", rejects.sorted { $0.key < $1.key }.map { ("{code=\"\($0.key)\"}", String($0.value)) })
        metric("sessionlog_requests_in_flight", "gauge", "Requests received and not yet answered.", [("", String(inFlight))])
        metric("sessionlog_connections", "gauge", "Open connections.", [("", String(connections))])
        metric(
            "sessionlog_backpressure_pauses_total", "counter", "Connection reads held back while request bytes in flight were over --max-pending-bytes.",
            [("", String(backpressurePauses.current))])
        return text
    }

    private static func histogram(_ name: String, _ help: String, _ h: WriterMetrics.Histogram, _ log: String) -> String {
        var text = log == "main" ? "# HELP \(name) \(help)\n# TYPE \(name) histogram\n" : ""
        for (bound, count) in zip(h.bounds, h.counts) { text += "\(name)_bucket{log=\"\(log)\",le=\"\(bound)\"} \(count)\n" }
        text += "\(name)_bucket{log=\"\(log)\",le=\"+Inf\"} \(h.count)\n\(name)_sum{log=\"\(log)\"} \(h.sum)\n\(name)_count{log=\"\(log)\"} \(h.count)\n"
        return text
    }
}
