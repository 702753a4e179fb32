import LogFormat

/// When the writer calls fdatasync.
public enum FsyncPolicy: String, Sendable, CaseIterable {
    /// After every group commit, before any caller is answered (the default: an answer means durable).
    case always
    /// Never: answers once the bytes are in the page cache; a power loss can lose acknowledged
    /// records (a process crash cannot). For benchmarks and throwaway data.
    case never
}

/// Limits and policies of a `LogWriter`; every limit is named and bounded.
public struct LogWriterOptions: Sendable {
    public var kind: LogKind = .main
    /// A segment is sealed, and a new one started, at the first group commit that finds it at or
    /// above this size; a segment can exceed it by at most one group.
    public var segmentBytesMax: Int = 256 << 20
    /// Raw (uncompressed) bytes per batch: the unit of compression, CRC and hash chaining.
    public var batchBytesMax: Int = 1 << 20
    /// Raw bytes per group commit (one write, one fdatasync); a single request larger than this
    /// still forms one group.
    public var groupBytesMax: Int = 8 << 20
    /// Zero bytes kept written ahead of the active segment's data (up to `segmentBytesMax`), so
    /// a group commit overwrites allocated blocks and its fdatasync need not also commit a larger
    /// file size — about half the sync time for small groups (docs/measurements.md). PostgreSQL
    /// zero-fills WAL segments for the same reason. Sealed and cleanly closed segments are
    /// trimmed to their data; 0 turns preallocation off.
    public var preallocationBytes: Int = 1 << 20
    public var fsync: FsyncPolicy = .always
    /// How long the writer, finding no request pending, polls for the next before it sleeps —
    /// only while requests keep arriving within that time (a producer awaiting each answer), so
    /// an idle or rarely used log costs no CPU. 0 turns polling off.
    public var idleSpin: Duration = .microseconds(500)
    public var indexIntervalBytes: Int = IndexLayout.defaultIntervalBytes
    /// Milliseconds since the Unix epoch; received_at is max(clock, previous received_at).
    public var clock: @Sendable () -> Int64 = { WallClock.nowMs() }

    public init(kind: LogKind = .main) { self.kind = kind }

    /// Largest record `append` accepts (the batch body limit less framing).
    public static let recordBytesMax = BatchHeader.rawBytesMax - RecordLayout.headerSize
}

/// What opening a log for writing found and repaired.
public struct RecoveryReport: Sendable, CustomStringConvertible {
    /// A torn or corrupt tail cut from the active segment.
    public struct Truncation: Sendable {
        public var segment: String
        public var position: FilePosition
        public var bytes: Int64
        /// The first offset that is no longer in the log (records from it on were cut).
        public var firstLostOffset: LogOffset
        public var reason: FormatError
    }

    public var segmentCount: Int
    public var nextOffset: LogOffset
    public var head: BatchHash
    public var truncation: Truncation?
    /// Segments whose indexes were missing or inconsistent and were rebuilt.
    public var rebuiltIndexes: [LogOffset]

    public var description: String {
        var text = "opened log: \(segmentCount) segment(s), next offset \(nextOffset), head \(head.hex)"
        if let t = truncation {
            text += "; truncated a torn/corrupt tail of \(t.bytes) bytes at byte \(t.position) of \(t.segment)"
                + " (records from offset \(t.firstLostOffset) on were never fully written): \(t.reason.message)"
        }
        if !rebuiltIndexes.isEmpty { text += "; rebuilt indexes of \(rebuiltIndexes.count) segment(s)" }
        return text
    }
}
