import LogFormat

/// A summary of one segment, from batch headers only (no decompression).
public struct SegmentSummary: Sendable {
    public var fileName: String
    public var baseOffset: LogOffset
    public var batches = 0
    public var records = 0
    /// Bytes of committed batches as stored (segment header excluded).
    public var storedBytes: Int64 = 0
    /// Record bytes before compression.
    public var rawBytes: Int64 = 0
    public var firstReceivedAtMs: Int64?
    public var lastReceivedAtMs: Int64?

    public init(fileName: String, baseOffset: LogOffset) {
        self.fileName = fileName
        self.baseOffset = baseOffset
    }
}

/// Summarizes a log's segments for `inspect`: counts, bytes, compression, time ranges.
public enum LogInspector {
    public static func summarize(directory: String) throws -> [SegmentSummary] {
        let log = LogDirectory(path: directory)
        let marker = log.readCommitMarker()
        var summaries = [SegmentSummary]()
        for base in try log.segmentBases() {
            if let marker, !marker.isVisible(segment: base) { break }
            let file = try PosixFile.openForReading(log.segmentPath(base))
            var summary = SegmentSummary(fileName: LogDirectory.fileName(base: base, suffix: ".seg"), baseOffset: base)
            var scanner = SegmentScanner(
                file: file, start: FilePosition(SegmentHeader.size), expectedOffset: base,
                limit: marker?.readLimit(ofSegment: base))
            scan: while true {
                switch try scanner.next() {
                case .batch(let batch):
                    summary.batches += 1
                    summary.records += batch.header.recordCount
                    summary.rawBytes += Int64(batch.header.rawLength)
                    summary.firstReceivedAtMs = summary.firstReceivedAtMs ?? batch.header.firstReceivedAtMs
                    summary.lastReceivedAtMs = batch.header.lastReceivedAtMs
                case .end, .invalid:
                    break scan
                }
            }
            summary.storedBytes = scanner.position.rawValue - Int64(SegmentHeader.size)
            summaries.append(summary)
        }
        return summaries
    }
}
