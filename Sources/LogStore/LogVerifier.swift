import LogFormat

/// The result of a full verification: the log's end and head hash, and what was checked.
public struct VerifyReport: Sendable {
    /// nil for an empty log.
    public var lastOffset: LogOffset?
    public var head: BatchHash
    public var segments = 0
    public var batches = 0
    public var records = 0
    public var storedBytes: Int64 = 0
    public var rawBytes: Int64 = 0
    /// Bytes after the commit marker in the last segment, up to its last non-zero byte: an append
    /// in progress, or a torn tail the next writer open will truncate. Not verified, not an
    /// error. (Zeros after them are the writer's preallocation.)
    public var uncommittedBytes: Int64 = 0
}

/// Checks a whole log, read-only: every segment header, every batch's CRC, decompression and
/// record framing, dense offsets across segments, non-decreasing received_at, the SHA-256 hash
/// chain, and that every index entry points at the batch it names.
///
/// Safe to run while a writer appends (it stops at the commit marker).
public enum LogVerifier {
    /// Verifies the log in `directory`. With `expectHead`, also checks that the batch ending at
    /// that offset has that hash (an auditor's earlier `verify` output). Throws `StorageError`
    /// (`.corruption` with the first bad location, or `.invalidArgument` for a head mismatch).
    public static func verify(directory: String, expectHead: (LogOffset, BatchHash)? = nil) throws -> VerifyReport {
        let log = LogDirectory(path: directory)
        let marker = log.readCommitMarker()  // before listing: a roll after it adds only segments it does not show
        let bases = try log.segmentBases()
        var report = VerifyReport(lastOffset: nil, head: .zero)
        var expectedOffset = LogOffset.zero
        var previousReceivedAt = Int64.min
        var kind: LogKind?
        var expectedHeadChecked = false

        for base in bases {
            let segmentName = LogDirectory.fileName(base: base, suffix: ".seg")
            func location(_ at: FilePosition, _ offset: LogOffset) -> LogLocation {
                LogLocation(segment: segmentName, position: at, offset: offset)
            }
            if let marker, !marker.isVisible(segment: base) { break }  // created by a roll not yet committed
            let file = try PosixFile.openForReading(log.segmentPath(base))
            let header = try readHeader(file, at: location(FilePosition(0), base))
            guard header.baseOffset == base, base == expectedOffset, kind == nil || kind == header.kind else {
                throw StorageError.corruption(
                    FormatError(.badSequence, "segment header says base \(header.baseOffset) kind \(header.kind); expected base \(expectedOffset)\(kind.map { " kind \($0)" } ?? "")"),
                    at: location(FilePosition(0), expectedOffset))
            }
            kind = header.kind
            let limit = marker?.readLimit(ofSegment: base)
            var scanner = SegmentScanner(file: file, start: FilePosition(SegmentHeader.size), expectedOffset: base, limit: limit)
            var batchPositions = [LogOffset: (position: FilePosition, firstReceivedAt: Int64)]()
            scan: while true {
                switch try scanner.next() {
                case .batch(let batch):
                    let h = batch.header
                    let at = location(batch.position, h.baseOffset)
                    guard h.previousHash == report.head else {
                        throw StorageError.corruption(
                            FormatError(.hashChainBroken, "batch names predecessor \(h.previousHash.hex), but the previous batch hashes to \(report.head.hex)"),
                            at: at)
                    }
                    guard h.firstReceivedAtMs >= previousReceivedAt else {
                        throw StorageError.corruption(
                            FormatError(.badSequence, "received_at \(h.firstReceivedAtMs) is before the previous batch's \(previousReceivedAt)"),
                            at: at)
                    }
                    do { _ = try batch.records() } catch { throw StorageError.corruption(error, at: at) }
                    report.head = batch.hash
                    report.batches += 1
                    report.records += h.recordCount
                    report.rawBytes += Int64(h.rawLength)
                    report.lastOffset = h.lastOffset
                    previousReceivedAt = h.lastReceivedAtMs
                    batchPositions[h.baseOffset] = (batch.position, h.firstReceivedAtMs)
                    if let (offset, hash) = expectHead, offset == h.lastOffset {
                        expectedHeadChecked = true
                        guard hash == report.head else {
                            throw StorageError(
                                .invalidArgument,
                                "head mismatch: the batch ending at offset \(offset) hashes to \(report.head.hex), not the expected \(hash.hex); history differs from what was recorded")
                        }
                    }
                case .end:
                    break scan
                case .invalid(let at, let error):
                    guard LogDirectory.invalidBytesMayBeAnAppend(in: base, marker: marker, lastSegment: bases.last) else {
                        throw StorageError.corruption(error, at: location(at, scanner.expectedOffset))
                    }
                    // No marker: an unrecovered tail of the last segment, as a writer would see it.
                    report.uncommittedBytes = try file.nonZeroEnd(from: at.rawValue) - at.rawValue
                    break scan
                }
            }
            if let limit { report.uncommittedBytes = try file.nonZeroEnd(from: limit.rawValue) - limit.rawValue }
            report.storedBytes += scanner.position.rawValue
            report.segments += 1
            expectedOffset = scanner.expectedOffset
            try checkIndex(log, base: base, batches: batchPositions, segment: segmentName)
        }
        if let marker, expectedOffset != marker.nextOffset {
            throw StorageError.commitBeyondSegments(marker, found: "its segments end at offset \(expectedOffset)", directory: directory)
        }
        if let (offset, _) = expectHead, !expectedHeadChecked {
            throw StorageError(
                .invalidArgument,
                report.lastOffset.map { offset > $0 } ?? true
                    ? "expected head at offset \(offset), but the log ends at \(report.lastOffset.map(String.init(describing:)) ?? "nothing"): records are missing"
                    : "offset \(offset) is not the last offset of a batch; pass the last_offset that verify printed")
        }
        return report
    }

    private static func readHeader(_ file: PosixFile, at location: LogLocation) throws -> SegmentHeader {
        var bytes = [UInt8](repeating: 0, count: SegmentHeader.size)
        let n = try file.read(into: &bytes, at: 0, count: bytes.count, position: 0)
        do {
            return try bytes.decoding(0..<n) { raw throws(FormatError) in try SegmentHeader.decode(raw) }
        } catch {
            throw StorageError.corruption(error, at: location)
        }
    }

    /// Every index entry (for committed batches) must name a batch exactly: position, base offset
    /// and first received_at. Missing index files are reported too: the next writer open rebuilds them.
    /// A live log (or a copy of one) may have index entries that only one of the two files has yet,
    /// and a segment begun after its commit marker may have no index files yet: such entries must
    /// lie past the committed batches.
    private static func checkIndex(
        _ log: LogDirectory, base: LogOffset, batches: [LogOffset: (position: FilePosition, firstReceivedAt: Int64)],
        segment: String
    ) throws {
        guard let index = SegmentIndex.load(from: log, base: base) else {
            if batches.isEmpty { return }
            throw StorageError(
                .corruption,
                "index files of \(segment) are missing or malformed; opening the log for writing (ingress, import) rebuilds them")
        }
        // Entries for batches past the commit marker are being written.
        let lastCommitted = batches.keys.max()
        let isPastCommitted = { (offset: UInt64) in lastCommitted.map { $0.rawValue < offset } ?? true }
        let common = min(index.offsetEntries.count, index.timeEntries.count)
        let unpaired = index.offsetEntries[common...].map(\.offset) + index.timeEntries[common...].map(\.offset)
        if let early = unpaired.first(where: { !isPastCommitted($0) }) {
            throw indexError(segment, "the entry for offset \(early) is in one index file only")
        }
        for (entry, time) in zip(index.offsetEntries, index.timeEntries) {
            guard let batch = batches[LogOffset(entry.offset)] else {
                guard isPastCommitted(entry.offset), entry.offset >= base.rawValue else {
                    throw indexError(segment, "offset entry \(entry.offset) names no batch")
                }
                continue
            }
            guard batch.position.rawValue == Int64(entry.position), time.offset == entry.offset,
                time.receivedAtMs == UInt64(max(0, batch.firstReceivedAt))
            else {
                throw indexError(segment, "entry for offset \(entry.offset) says byte \(entry.position) / time \(time.receivedAtMs); the batch is at byte \(batch.position) / time \(batch.firstReceivedAt)")
            }
        }
    }

    private static func indexError(_ segment: String, _ message: String) -> StorageError {
        StorageError(
            .corruption,
            "index of \(segment) is inconsistent: \(message); opening the log for writing (ingress, import) rebuilds it")
    }
}
