import Synchronization

/// Counters of a `LogWriter`, updated after each group commit. Thread-safe (`Mutex`).
public final class WriterMetrics: Sendable {
    /// Upper bounds (seconds) of the fsync latency histogram buckets.
    public static let fsyncBuckets: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5]
    /// Upper bounds (records) of the records-per-group-commit histogram buckets.
    public static let groupBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384]

    /// A histogram's cumulative bucket counts, sum and count.
    public struct Histogram: Sendable {
        public var bounds: [Double]
        public var counts: [Int]
        public var sum: Double = 0
        public var count = 0

        init(bounds: [Double]) {
            self.bounds = bounds
            counts = Array(repeating: 0, count: bounds.count)
        }

        mutating func observe(_ value: Double) {
            for (i, bound) in bounds.enumerated() where value <= bound { counts[i] += 1 }
            sum += value
            count += 1
        }
    }

    /// The counters at one moment.
    public struct Snapshot: Sendable {
        public var records = 0
        public var rawBytes = 0
        public var groups = 0
        public var failedAppends = 0
        public var fsyncSeconds = Histogram(bounds: fsyncBuckets)
        public var recordsPerGroup = Histogram(bounds: groupBuckets)
    }

    private let state = Mutex(Snapshot())

    func committed(records: Int, rawBytes: Int, fsyncSeconds: Double?) {
        state.withLock {
            $0.records += records
            $0.rawBytes += rawBytes
            $0.groups += 1
            $0.recordsPerGroup.observe(Double(records))
            if let fsyncSeconds { $0.fsyncSeconds.observe(fsyncSeconds) }
        }
    }

    func failed(requests: Int) { state.withLock { $0.failedAppends += requests } }

    public var snapshot: Snapshot { state.withLock { $0 } }
}
