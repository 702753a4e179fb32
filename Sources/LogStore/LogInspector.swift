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
    /// The damaged batch where counting stopped: bytes that are not a valid batch inside the
    /// committed part of the segment (or anywhere in a sealed one). nil when the segment is whole.
    public var damage: StorageError?

    public init(fileName: String, baseOffset: LogOffset) {
        self.fileName = fileName
        self.baseOffset = baseOffset
    }
}

/// Summarizes a log's segments for `inspect`: counts, bytes, compression, time ranges. A segment
/// with a damaged batch is summarized up to it and names the damage; an append in progress at
/// the end of the last segment of a log without a commit marker is not damage (as for `verify`).
public enum LogInspector {
    public static func summarize(directory: String) throws -> [SegmentSummary] {
        let log = LogDirectory(path: directory)
        let marker = log.readCommitMarker()
        var summaries = [SegmentSummary]()
        let bases = try log.segmentBases()
        for base in bases {
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
                case .end:
                    break scan
                case .invalid(let position, let error):
                    if !LogDirectory.invalidBytesMayBeAnAppend(in: base, marker: marker, lastSegment: bases.last) {
                        summary.damage = .corruption(
                            error, at: LogLocation(segment: summary.fileName, position: position, offset: scanner.expectedOffset))
                    }
                    break scan
                }
            }
            summary.storedBytes = scanner.position.rawValue - Int64(SegmentHeader.size)
            summaries.append(summary)
        }
        return summaries
    }
}
