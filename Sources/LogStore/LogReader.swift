import LogFormat

/// Reads a log, typically from another process than its writer: files are opened read-only, the
/// writer is never blocked, and only batches covered by the commit marker (written and synced)
/// are seen. Random access by offset and by time goes through the sparse indexes.
///
/// Not thread-safe: use one reader (and its cursors) per task.
///
/// ```swift
/// let reader = LogReader(directory: "data/log")
/// var cursor = reader.cursor(from: LogOffset(0))
/// while let records = try cursor.nextBatch() { for record in records { … } }
/// ```
public final class LogReader {
    public let directory: LogDirectory

    public init(directory: String) {
        self.directory = LogDirectory(path: directory)
    }

    /// A cursor that starts at `offset` (records before it in the same batch are skipped).
    public func cursor(from offset: LogOffset) -> LogCursor {
        LogCursor(directory: directory, nextOffset: offset)
    }

    /// An offset from which a scan finds every record with `received_at ≥ timeMs`: records
    /// before it all arrived earlier (received_at never decreases). Uses the time indexes.
    public func offset(beforeTimeMs timeMs: Int64) throws -> LogOffset {
        var start = LogOffset.zero
        for base in try directory.segmentBases() {
            guard let first = try firstBatchHeader(base) else { break }
            guard first.firstReceivedAtMs < timeMs else { break }
            start = base
        }
        if let index = SegmentIndex.load(from: directory, base: start), let offset = index.offset(beforeTime: timeMs) {
            return max(start, offset)
        }
        return start
    }

    /// The first offset whose record arrived at or after `timeMs` (the end offset when none
    /// has yet): the records before it are exactly those received before `timeMs`.
    public func firstOffset(receivedAtOrAfter timeMs: Int64) throws -> LogOffset {
        var cursor = cursor(from: try offset(beforeTimeMs: timeMs))
        while let batch = try cursor.nextBatch() {
            if let record = batch.first(where: { $0.receivedAtMs >= timeMs }) { return record.offset }
        }
        return cursor.nextOffset
    }

    /// The offset the next appended record will get: the commit marker's, or found by scanning
    /// when the log has no marker (an empty or pre-marker log).
    public func endOffset() throws -> LogOffset {
        if let marker = directory.readCommitMarker() { return marker.nextOffset }
        var cursor = cursor(from: try directory.segmentBases().last ?? .zero)
        while try cursor.nextBatch() != nil {}
        return cursor.nextOffset
    }

    /// The record at `offset`, nil when the log does not hold it (yet).
    public func record(at offset: LogOffset) throws -> LogRecord? {
        var cursor = cursor(from: offset)
        guard let record = try cursor.nextBatch()?.first, record.offset == offset else { return nil }
        return record
    }

    private func firstBatchHeader(_ base: LogOffset) throws -> BatchHeader? {
        let file = try PosixFile.openForReading(directory.segmentPath(base))
        var bytes = [UInt8](repeating: 0, count: BatchHeader.size)
        guard try file.read(into: &bytes, at: 0, count: bytes.count, position: Int64(SegmentHeader.size)) == bytes.count
        else { return nil }
        return try? bytes.decoding(0..<bytes.count) { raw throws(FormatError) in try BatchHeader.decode(raw) }
    }
}

/// A position in a log that yields its records batch by batch, in offset order.
///
/// `nextBatch()` returns nil at the committed end; call it again later to see what was appended
/// since (or use `LogTail` to wait). Crosses segment boundaries by itself.
public struct LogCursor {
    public let directory: LogDirectory
    /// The offset of the next record this cursor will return.
    public private(set) var nextOffset: LogOffset
    private var segment: OpenSegment?

    private struct OpenSegment {
        var base: LogOffset
        var scanner: SegmentScanner
        /// The commit marker's end when this segment held it, which is where the scanner stops;
        /// nil once the segment is sealed (or the log had no marker), read to its end of file.
        var committedEnd: FilePosition? { scanner.limit }
    }

    init(directory: LogDirectory, nextOffset: LogOffset) {
        self.directory = directory
        self.nextOffset = nextOffset
    }

    /// The records of the next committed batch (only those at or after `nextOffset`), or nil
    /// when there is none yet. Throws `StorageError` for corruption, naming where.
    public mutating func nextBatch() throws -> [LogRecord]? {
        while true {
            if segment == nil {
                guard let opened = try openSegment() else { return nil }
                segment = opened
            }
            switch try segment!.scanner.next() {
            case .batch(let batch):
                guard batch.header.nextOffset > nextOffset else { continue }
                let records: [LogRecord]
                do {
                    records = try batch.records()
                } catch {
                    throw StorageError.corruption(error, at: location(batch.position, batch.header.baseOffset))
                }
                let skip = batch.header.baseOffset.distance(to: max(nextOffset, batch.header.baseOffset))
                nextOffset = batch.header.nextOffset
                return skip == 0 ? records : Array(records.dropFirst(skip))
            case .end:
                guard try advancePastEnd() else { return nil }
            case .invalid(let position, let error):
                if segment!.committedEnd == nil {
                    // Read without a limit: the segment was sealed, or the log had no marker when
                    // it was opened. Once a marker names it, the marker bounds it (read again).
                    let marker = directory.readCommitMarker()
                    if boundByMarker(marker) != nil { continue }
                    // With no marker at all, a partial batch (or zeros) at the end of the last
                    // segment is an append in progress.
                    if LogDirectory.invalidBytesMayBeAnAppend(in: segment!.base, marker: marker, lastSegment: try directory.segmentBases().last) {
                        return nil
                    }
                }
                throw StorageError.corruption(error, at: location(position, segment!.scanner.expectedOffset))
            }
        }
    }

    private func location(_ position: FilePosition, _ offset: LogOffset) -> LogLocation {
        LogLocation(
            segment: LogDirectory.fileName(base: segment?.base ?? .zero, suffix: ".seg"), position: position, offset: offset)
    }

    /// Bounds the open segment by `marker` when the marker names it (a segment opened while the
    /// log had no marker included) and returns the new limit; nil when the marker names another
    /// segment or there is none.
    private mutating func boundByMarker(_ marker: CommitMarker?) -> FilePosition? {
        guard let end = marker?.readLimit(ofSegment: segment!.base) else { return nil }
        segment!.scanner.setLimit(end)
        return end
    }

    /// At the scanner's limit: extend it if the marker moved, move to the next segment if this
    /// one is sealed. Returns false when there is nothing more to read now.
    private mutating func advancePastEnd() throws -> Bool {
        guard let open = segment else { return false }
        let marker = directory.readCommitMarker()
        if let end = boundByMarker(marker) { return end > open.scanner.position }
        if open.committedEnd != nil, marker != nil {
            // The writer rolled: this segment is sealed; read whatever it has left.
            segment!.scanner.setLimit(nil)
            return true
        }
        // A sealed segment (or a log without marker) ended: continue in the next segment, if any.
        guard let next = try directory.segmentBases().first(where: { $0 > open.base }) else { return false }
        if let marker, !marker.isVisible(segment: next) { return false }
        guard next == open.scanner.expectedOffset else {
            throw StorageError.corruption(
                FormatError(.badSequence, "segment ends at offset \(open.scanner.expectedOffset) but the next segment starts at \(next)"),
                at: location(open.scanner.position, open.scanner.expectedOffset))
        }
        segment = nil
        return true
    }

    /// Opens the segment holding `nextOffset`, positioned by its index; nil when not visible yet.
    private func openSegment() throws -> OpenSegment? {
        let bases = try directory.segmentBases()
        guard let base = bases.last(where: { $0 <= nextOffset }) else { return nil }
        let marker = directory.readCommitMarker()
        if let marker, !marker.isVisible(segment: base) { return nil }
        let committedEnd = marker?.readLimit(ofSegment: base)
        let file = try PosixFile.openForReading(directory.segmentPath(base))
        var start = (offset: base, position: FilePosition(SegmentHeader.size))
        if let hint = SegmentIndex.load(from: directory, base: base)?.position(before: nextOffset),
            committedEnd.map({ hint.position < $0 }) ?? true
        {
            start = hint
        }
        var scanner = SegmentScanner(file: file, start: start.position, expectedOffset: start.offset, limit: committedEnd)
        if start.position.rawValue != Int64(SegmentHeader.size) {
            // An index entry is a hint: if it does not lead to a valid batch, scan from the start.
            var probe = scanner
            if case .invalid = try probe.next() {
                scanner = SegmentScanner(
                    file: file, start: FilePosition(SegmentHeader.size), expectedOffset: base, limit: committedEnd)
            }
        }
        return OpenSegment(base: base, scanner: scanner)
    }
}
