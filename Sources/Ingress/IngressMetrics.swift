import LogStore
import Synchronization

/// The ingress's own counters, and the Prometheus text exposition of `GET /metrics`.
/// Thread-safe: atomic counters for answers (counted on every request), a `Mutex` for rejects.
final class IngressMetrics: Sendable {
    /// Routes in the order of the answer counters' rows; a target with no route counts in the
    /// last row, "other".
    private static let routes: [IngressRoute?] = IngressRoute.allCases + [nil]
    /// One counter per route and status the ingress answers (`IngressAnswer.statuses`), row by row.
    private let answers: [ManagedCounter]
    private let rejects = Mutex<[String: Int]>([:])  // code → count
    /// Reads held back because requests in flight were over `pendingBytesMax`.
    let backpressurePauses = ManagedCounter()

    init() {
        answers = (0..<Self.routes.count * IngressAnswer.statuses.count).map { _ in ManagedCounter() }
    }

    /// An answer was written; `route` is nil for a target with no route.
    func answered(route: IngressRoute?, status: UInt) {
        guard let row = Self.routes.firstIndex(of: route), let column = IngressAnswer.statuses.firstIndex(of: status) else {
            preconditionFailure("status \(status) is missing from IngressAnswer.statuses")
        }
        answers(row, column).add(1)
    }

    private func answers(_ row: Int, _ column: Int) -> ManagedCounter { answers[row * IngressAnswer.statuses.count + column] }

    /// A payload was rejected (single route or `/batch` line).
    func rejected(_ code: String) {
        rejects.withLock { $0[code, default: 0] += 1 }
    }

    /// Prometheus text format 0.0.4.
    func render(log: LogWriter, quarantine: LogWriter, inFlight: Int, connections: Int, idempotencyKeys: Int) -> String {
        let rejects = self.rejects.withLock { $0 }
        let requests = Self.routes.indices.flatMap { (row) in
            IngressAnswer.statuses.indices.map { (Self.routes[row], IngressAnswer.statuses[$0], answers(row, $0).current) }
        }
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
        // A family's samples must form one group (text format 0.0.4): both logs under one TYPE line.
        text += Self.histogram(
            "sessionlog_group_commit_records", "Records per group commit (one write, one fdatasync).", writers.map { ($0.0, $0.1.recordsPerGroup) })
        text += Self.histogram("sessionlog_fsync_seconds", "fdatasync latency per group commit.", writers.map { ($0.0, $0.1.fsyncSeconds) })
        metric("sessionlog_requests_total", "counter", "HTTP requests answered, by route and status.",
            requests.filter { $0.2 > 0 }.map { route, status, count in ("{route=\"\(route?.rawValue ?? "other")\",status=\"\(status)\"}", String(count)) }
                .sorted { $0.0 < $1.0 })
        metric("sessionlog_rejects_total", "counter", "Payloads rejected, by error code.", rejects.sorted { $0.key < $1.key }.map { ("{code=\"\($0.key)\"}", String($0.value)) })
        metric("sessionlog_requests_in_flight", "gauge", "Requests received and not yet answered.", [("", String(inFlight))])
        metric("sessionlog_connections", "gauge", "Open connections.", [("", String(connections))])
        metric(
            "sessionlog_idempotency_keys", "gauge", "Keys in the idempotency window (its memory grows with them; docs/operations.md).",
            [("", String(idempotencyKeys))])
        metric(
            "sessionlog_backpressure_pauses_total", "counter", "Connection reads held back while request bytes in flight were over --max-pending-bytes.",
            [("", String(backpressurePauses.current))])
        return text
    }

    /// One histogram family: a series per log.
    private static func histogram(_ name: String, _ help: String, _ logs: [(log: String, histogram: WriterMetrics.Histogram)]) -> String {
        var text = "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        for (log, h) in logs {
            for (bound, count) in zip(h.bounds, h.counts) { text += "\(name)_bucket{log=\"\(log)\",le=\"\(bound)\"} \(count)\n" }
            text += "\(name)_bucket{log=\"\(log)\",le=\"+Inf\"} \(h.count)\n\(name)_sum{log=\"\(log)\"} \(h.sum)\n\(name)_count{log=\"\(log)\"} \(h.count)\n"
        }
        return text
    }
}
