import Foundation
import LogFormat

/// The writer's side of a log directory: recovers it on open, then appends groups of records to
/// the active segment (one write, one fdatasync per group), rolls segments, keeps the indexes
/// and the commit marker.
///
/// Not thread-safe: owned by the `LogWriter` thread. Holds the directory's `WriterLock`.
final class SegmentAppender: @unchecked Sendable {  // handed to the writer thread once, then used only there
    let directory: LogDirectory
    let options: LogWriterOptions
    private let lock: WriterLock
    private let commitFile: PosixFile

    private var active: PosixFile
    private(set) var activeBase: LogOffset
    /// End of the active segment's batches (where the next one goes).
    private var activeSize: Int64
    /// End of the active segment's file: the bytes from `activeSize` to here are zeros written
    /// ahead of the data (`LogWriterOptions.preallocationBytes`). Never less than `activeSize`.
    private var fileEnd: Int64
    private var activeIndex: SegmentIndex
    private var activeHasBatches: Bool
    /// The active segment's index files, opened once per segment.
    private var indexFiles: (offsets: PosixFile, times: PosixFile)?
    /// Index files are derived data: after a failed index write we stop writing them (the next
    /// open rebuilds them) rather than failing appends.
    private var indexWritesHealthy = true

    private(set) var nextOffset: LogOffset
    private(set) var head: BatchHash
    private var lastReceivedAtMs: Int64
    private var encoder = BatchBodyEncoder()
    /// Total fdatasync time of the last `commit` (nil without a sync), for metrics.
    private(set) var lastSyncSeconds: Double?
    private var output: [UInt8] = []

    private init(
        directory: LogDirectory, options: LogWriterOptions, lock: WriterLock, commitFile: PosixFile,
        active: PosixFile, activeBase: LogOffset, activeSize: Int64, fileEnd: Int64, activeIndex: SegmentIndex,
        nextOffset: LogOffset, head: BatchHash, lastReceivedAtMs: Int64
    ) {
        assert(fileEnd >= activeSize, "the preallocated tail starts at the data's end")
        self.directory = directory
        self.options = options
        self.lock = lock
        self.commitFile = commitFile
        self.active = active
        self.activeBase = activeBase
        self.activeSize = activeSize
        self.fileEnd = fileEnd
        self.activeIndex = activeIndex
        self.activeHasBatches = activeSize > Int64(SegmentHeader.size)
        self.nextOffset = nextOffset
        self.head = head
        self.lastReceivedAtMs = lastReceivedAtMs
    }

    // MARK: Recovery

    /// Opens (creating if needed) the log in `directory` for writing, after recovery:
    /// - sealed segments: indexes checked and rebuilt when inconsistent;
    /// - the active (last) segment: scanned; a torn or corrupt tail is truncated and reported,
    ///   a tail of zeros (preallocated, see `fileEnd`) is kept for the next appends; a damaged
    ///   batch that is not the tail (`damageIsTail`) is an error, and nothing is changed;
    /// - the head hash, next offset and last received_at are restored; the commit marker rewritten.
    static func open(_ directory: LogDirectory, options: LogWriterOptions) throws -> (SegmentAppender, RecoveryReport) {
        try PosixFile.createDirectories(directory.path)
        let lock = try WriterLock.acquire(directory)
        var bases = try directory.segmentBases()
        // Segments are created (and their directory entry synced) before COMMIT names them, so a
        // segment COMMIT names cannot be missing after a crash: it was removed. Recovering would
        // reuse the offsets of the records it held.
        let marker = directory.readCommitMarker()
        if let marker, !bases.contains(marker.segmentBase) {
            throw StorageError.commitBeyondSegments(
                marker, found: "that segment file is missing", directory: directory.path)
        }
        if bases.isEmpty {
            try createSegment(directory, base: .zero, options: options)
            bases = [.zero]
        }
        var rebuilt = [LogOffset]()
        for base in bases.dropLast() where !indexIsConsistent(directory, base: base) {
            try rebuildIndex(directory, base: base, options: options)
            rebuilt.append(base)
        }

        let base = bases.last!
        let path = directory.segmentPath(base)
        let file = try PosixFile.openForWriting(path)
        var size = try file.size()
        if size < Int64(SegmentHeader.size) {
            // A crash while the segment was being created: it cannot hold a batch yet.
            try file.truncate(to: 0)
            try file.write(SegmentHeader(kind: options.kind, baseOffset: base, createdAtMs: options.clock()).encoded(), at: 0)
            try file.sync()
            size = Int64(SegmentHeader.size)
        } else {
            try checkHeader(file, directory: directory, base: base, kind: options.kind)
        }

        var scanner = SegmentScanner(
            file: file, start: FilePosition(SegmentHeader.size), expectedOffset: base, limit: nil)
        var index = SegmentIndex()
        var last: (header: BatchHeader, position: FilePosition)?
        var truncation: RecoveryReport.Truncation?
        var dataEnd = size
        scan: while true {
            switch try scanner.next() {
            case .batch(let batch):
                index.note(batch.header, at: batch.position, intervalBytes: options.indexIntervalBytes)
                last = (batch.header, batch.position)  // hashed once, after the scan
            case .end:
                break scan
            case .invalid(let position, _) where try file.nonZeroEnd(from: position.rawValue) == position.rawValue:
                dataEnd = position.rawValue  // the preallocated zeros after the last batch
                break scan
            case .invalid(let position, let error):
                let location = LogLocation(
                    segment: LogDirectory.fileName(base: base, suffix: ".seg"), position: position, offset: scanner.expectedOffset)
                guard try damageIsTail(file, at: position, committedEnd: marker?.readLimit(ofSegment: base))
                else { throw StorageError.corruptionWithHistoryAfter(error, at: location, directory: directory.path) }
                truncation = .init(
                    segment: location.segment, position: position, bytes: size - position.rawValue,
                    firstLostOffset: location.offset, reason: error)
                try file.truncate(to: position.rawValue)
                try file.sync()
                size = position.rawValue
                dataEnd = size
                break scan
            }
        }

        let next: LogOffset
        let head: BatchHash
        let lastReceivedAtMs: Int64
        if let last {
            let hash = try storedBatchHash(file, at: last.position, size: last.header.totalSize)
            (next, head, lastReceivedAtMs) = (last.header.nextOffset, hash, last.header.lastReceivedAtMs)
        } else if bases.count > 1 {
            let previous = bases[bases.count - 2]
            guard let batch = try lastBatch(directory, base: previous) else {
                throw StorageError.corruption(
                    FormatError(.badSequence, "sealed segment holds no batch"),
                    at: LogLocation(
                        segment: LogDirectory.fileName(base: previous, suffix: ".seg"),
                        position: FilePosition(SegmentHeader.size), offset: previous))
            }
            guard batch.header.nextOffset == base else {
                throw StorageError.corruption(
                    FormatError(.badSequence, "segment ends at offset \(batch.header.nextOffset) but the next segment starts at \(base)"),
                    at: LogLocation(
                        segment: LogDirectory.fileName(base: previous, suffix: ".seg"), position: batch.position,
                        offset: batch.header.baseOffset))
            }
            (next, head, lastReceivedAtMs) = (base, batch.hash, batch.header.lastReceivedAtMs)
        } else {
            (next, head, lastReceivedAtMs) = (base, .zero, 0)
        }
        try index.write(to: directory, base: base)

        let commitFile = try PosixFile.openForWriting(directory.commitPath, create: true)
        let appender = SegmentAppender(
            directory: directory, options: options, lock: lock, commitFile: commitFile, active: file,
            activeBase: base, activeSize: dataEnd, fileEnd: size, activeIndex: index, nextOffset: next, head: head,
            lastReceivedAtMs: lastReceivedAtMs)
        try appender.writeCommitMarker()
        let report = RecoveryReport(
            segmentCount: bases.count, nextOffset: next, head: head, truncation: truncation, rebuiltIndexes: rebuilt)
        return (appender, report)
    }

    /// Whether the damaged batch at `position` of the active segment is its tail, which recovery
    /// cuts away (SPEC §3). Bytes at or past the commit marker's end were never acknowledged:
    /// always the tail, even where a later batch of the same unsynced group reached the disk.
    /// Before that end (or with no marker for this segment), the damage is the tail only if no
    /// intact batch follows it; otherwise cutting would also drop the acknowledged records after it.
    private static func damageIsTail(_ file: PosixFile, at position: FilePosition, committedEnd: FilePosition?) throws -> Bool {
        if let committedEnd, position >= committedEnd { return true }
        return try SegmentScanner.firstIntactBatch(in: file, after: position) == nil
    }

    private static func checkHeader(_ file: PosixFile, directory: LogDirectory, base: LogOffset, kind: LogKind) throws {
        var bytes = [UInt8](repeating: 0, count: SegmentHeader.size)
        _ = try file.read(into: &bytes, at: 0, count: bytes.count, position: 0)
        let location = LogLocation(
            segment: LogDirectory.fileName(base: base, suffix: ".seg"), position: FilePosition(0), offset: base)
        let header: SegmentHeader
        do {
            header = try bytes.decoding(0..<bytes.count) { raw throws(FormatError) in try SegmentHeader.decode(raw) }
        } catch {
            throw StorageError.corruption(error, at: location)
        }
        guard header.baseOffset == base, header.kind == kind else {
            throw StorageError.corruption(
                FormatError(.badMagic, "header says base \(header.baseOffset), kind \(header.kind); file name and log say \(base), \(kind)"),
                at: location)
        }
    }

    private static func createSegment(_ directory: LogDirectory, base: LogOffset, options: LogWriterOptions) throws {
        let file = try PosixFile.openForWriting(directory.segmentPath(base), create: true, truncate: true)
        do {
            try file.write(SegmentHeader(kind: options.kind, baseOffset: base, createdAtMs: options.clock()).encoded(), at: 0)
            try file.sync()
            try PosixFile.syncDirectory(directory.path)
            try SegmentIndex().write(to: directory, base: base)
        } catch {
            unlink(directory.segmentPath(base))
            throw error
        }
    }

    /// A sealed segment's index is usable when both files decode, have as many entries, and the
    /// last offset entry points at a batch header with that base offset (a full check is
    /// `LogVerifier`'s job).
    static func indexIsConsistent(_ directory: LogDirectory, base: LogOffset) -> Bool {
        guard let index = SegmentIndex.load(from: directory, base: base), index.offsetEntries.count == index.timeEntries.count,
            let lastEntry = index.offsetEntries.last,
            let file = try? PosixFile.openForReading(directory.segmentPath(base))
        else { return false }
        var bytes = [UInt8](repeating: 0, count: BatchHeader.size)
        guard (try? file.read(into: &bytes, at: 0, count: bytes.count, position: Int64(lastEntry.position))) == bytes.count,
            let header = try? bytes.decoding(0..<bytes.count, { raw throws(FormatError) in try BatchHeader.decode(raw) })
        else { return false }
        return header.baseOffset.rawValue == lastEntry.offset
    }

    /// Rescans a sealed segment (strictly: any invalid batch is corruption) and rewrites its indexes.
    static func rebuildIndex(_ directory: LogDirectory, base: LogOffset, options: LogWriterOptions) throws {
        var index = SegmentIndex()
        try forEachBatch(directory, base: base, from: FilePosition(SegmentHeader.size), offset: base) {
            index.note($0.header, at: $0.position, intervalBytes: options.indexIntervalBytes)
        }
        try index.write(to: directory, base: base)
    }

    /// The last batch of a sealed segment, found from its index's last entry.
    /// The last batch of a sealed segment (found from its index's last entry) and its hash.
    private static func lastBatch(_ directory: LogDirectory, base: LogOffset) throws
        -> (header: BatchHeader, position: FilePosition, hash: BatchHash)?
    {
        let start = SegmentIndex.load(from: directory, base: base)?.position(before: LogOffset(UInt64.max))
        var last: (header: BatchHeader, position: FilePosition)?
        try forEachBatch(
            directory, base: base, from: start?.position ?? FilePosition(SegmentHeader.size), offset: start?.offset ?? base
        ) { last = ($0.header, $0.position) }
        guard let last else { return nil }
        let file = try PosixFile.openForReading(directory.segmentPath(base))
        return (last.header, last.position, try storedBatchHash(file, at: last.position, size: last.header.totalSize))
    }

    /// SHA-256 of the stored batch at `position` (already checked by a scan).
    private static func storedBatchHash(_ file: PosixFile, at position: FilePosition, size: Int) throws -> BatchHash {
        var bytes = [UInt8](repeating: 0, count: size)
        guard try file.read(into: &bytes, at: 0, count: size, position: position.rawValue) == size else {
            throw StorageError(.io, "\(file.path) shrank while it was being recovered", path: file.path)
        }
        return bytes.withUnsafeBytes { BatchHash.of(storedBatch: $0) }
    }

    /// Visits every batch of a sealed segment from `position`; an invalid batch is corruption.
    static func forEachBatch(
        _ directory: LogDirectory, base: LogOffset, from position: FilePosition, offset: LogOffset,
        _ visit: (ScannedBatch) throws -> Void
    ) throws {
        let file = try PosixFile.openForReading(directory.segmentPath(base))
        var scanner = SegmentScanner(file: file, start: position, expectedOffset: offset, limit: nil)
        while true {
            switch try scanner.next() {
            case .batch(let batch): try visit(batch)
            case .end: return
            case .invalid(let position, let error):
                throw StorageError.corruption(
                    error,
                    at: LogLocation(
                        segment: LogDirectory.fileName(base: base, suffix: ".seg"), position: position,
                        offset: scanner.expectedOffset))
            }
        }
    }

    /// Releases the writer lock; the appender must not be used afterwards. A healthy appender
    /// first trims the active segment's preallocated zeros, so a closed log holds only its data;
    /// after a failure the files are left for recovery.
    func close(healthy: Bool) {
        if healthy { try? trimPreallocation() }
        lock.release()
    }

    /// Cuts the zeros after the active segment's last batch, durably (a sealed segment must end
    /// at its last batch).
    private func trimPreallocation() throws {
        guard fileEnd > activeSize else { return }
        try active.truncate(to: activeSize)
        try active.sync()
        fileEnd = activeSize
    }

    // MARK: Appending

    /// Appends the requests' records as one group: batches of at most `batchBytesMax` raw bytes,
    /// one write and one fdatasync (per the policy), then the indexes and the commit marker.
    /// Returns each request's outcome: its first offset (its records have consecutive offsets),
    /// or the error that kept all of its records out of the log.
    ///
    /// A segment is rolled between requests once it reaches `segmentBytesMax` (so a request never
    /// spans two segments): the part of the group before the roll is written and synced first.
    /// On ENOSPC the unsynced part is rolled back (nothing partial stays), its requests and later
    /// ones get `.diskFull`, and the appender stays usable. Any other failure throws
    /// `.writerFailed`: the caller must stop.
    func commit(_ requests: [AppendContent]) throws -> [Result<LogOffset, StorageError>] {
        lastSyncSeconds = nil
        var outcomes = [Result<LogOffset, StorageError>]()
        outcomes.reserveCapacity(requests.count)
        var pending = PendingWrite(next: nextOffset, head: head, receivedAtMs: max(options.clock(), lastReceivedAtMs))
        output.removeAll(keepingCapacity: true)

        func failUnsynced(_ error: StorageError) -> [Result<LogOffset, StorageError>] {
            outcomes.removeLast(outcomes.count - pending.committedRequests)
            return outcomes + Array(repeating: .failure(error), count: requests.count - outcomes.count)
        }
        for request in requests {
            if activeHasBatches || !output.isEmpty || !encoder.isEmpty,
                activeSize + Int64(output.count + encoder.rawSize) >= Int64(options.segmentBytesMax)
            {
                finishBatch(&pending)
                do {
                    try flush(&pending)
                    try roll()
                } catch let error as StorageError where error.code == .diskFull {
                    return failUnsynced(error)
                }
            }
            outcomes.append(.success(pending.next))
            switch request {
            case .records(let records):
                for record in records {
                    if !encoder.isEmpty && encoder.rawSize + record.encodedSize > options.batchBytesMax {
                        finishBatch(&pending)
                    }
                    encoder.add(record)
                    pending.next = pending.next.advanced(by: 1)
                }
            case .bodies(let bodies):
                finishBatch(&pending)  // records laid out earlier come first
                for body in bodies {
                    seal(body, &pending)
                    pending.next = pending.next.advanced(by: body.recordCount)
                }
            }
            pending.requestsEncoded += 1
        }
        finishBatch(&pending)
        do {
            try flush(&pending)
        } catch let error as StorageError where error.code == .diskFull {
            return failUnsynced(error)
        }
        return outcomes
    }

    /// Encoded but not yet written state of a group in progress.
    private struct PendingWrite {
        var next: LogOffset
        var head: BatchHash
        /// Offset of the first record of the batch being laid out (or of the next body).
        var batchBase: LogOffset
        let receivedAtMs: Int64
        var batches: [(header: BatchHeader, outputStart: Int)] = []
        var requestsEncoded = 0
        var committedRequests = 0

        init(next: LogOffset, head: BatchHash, receivedAtMs: Int64) {
            self.next = next
            self.head = head
            self.batchBase = next
            self.receivedAtMs = receivedAtMs
        }
    }

    private func finishBatch(_ pending: inout PendingWrite) {
        guard !encoder.isEmpty else { return }
        seal(encoder.finish(), &pending)
    }

    private func seal(_ body: EncodedBody, _ pending: inout PendingWrite) {
        let start = output.count
        let (header, hash) = BatchHeader.seal(
            body, baseOffset: pending.batchBase, receivedAtMs: pending.receivedAtMs, previousHash: pending.head,
            appendingTo: &output)
        pending.batches.append((header, start))
        pending.head = hash
        pending.batchBase = pending.batchBase.advanced(by: body.recordCount)
    }

    /// Writes and syncs `output`, then publishes it: state, indexes, commit marker.
    private func flush(_ pending: inout PendingWrite) throws {
        guard !output.isEmpty else { return }
        do {
            try output.withUnsafeBytes { try active.write($0, at: activeSize) }
        } catch let error as StorageError {
            do { try active.truncate(to: activeSize) } catch { throw Self.failStop(error) }
            fileEnd = activeSize
            throw error.code == .diskFull ? error : Self.failStop(error)
        }
        let written = activeSize + Int64(output.count)
        fileEnd = max(fileEnd, written)
        try preallocate(after: written)
        if options.fsync == .always {
            let started = ContinuousClock.now
            do { try active.sync() } catch { throw Self.failStop(error) }
            lastSyncSeconds = (lastSyncSeconds ?? 0) + started.secondsElapsed
        }
        for batch in pending.batches {
            noteInIndex(batch.header, at: FilePosition(activeSize + Int64(batch.outputStart)))
        }
        activeSize += Int64(output.count)
        activeHasBatches = true
        nextOffset = pending.next
        head = pending.head
        lastReceivedAtMs = pending.receivedAtMs
        pending.batches.removeAll()
        pending.committedRequests = pending.requestsEncoded
        output.removeAll(keepingCapacity: true)
        do { try writeCommitMarker() } catch { throw Self.failStop(error) }
    }

    /// Once fewer than half of `preallocationBytes` of zeros are left after `end` (the end of the
    /// data just written), writes zeros up to `end + preallocationBytes` (at most to
    /// `segmentBytesMax`), to be synced with the group: this group's sync commits the larger size,
    /// the next groups' syncs need not. Only with `FsyncPolicy.always` (without syncs there is
    /// nothing to gain). A full disk only skips the extension.
    private func preallocate(after end: Int64) throws {
        let chunk = Int64(options.preallocationBytes)
        let target = min(end + chunk, Int64(options.segmentBytesMax))
        guard options.fsync == .always, chunk > 0, fileEnd - end < chunk / 2, target > fileEnd else { return }
        do {
            try active.writeZeros(fileEnd..<target)
            fileEnd = target
        } catch let error as StorageError where error.code == .diskFull {
            do { try active.truncate(to: fileEnd) } catch { throw Self.failStop(error) }
        } catch {
            throw Self.failStop(error)
        }
    }

    private func noteInIndex(_ header: BatchHeader, at position: FilePosition) {
        guard activeIndex.note(header, at: position, intervalBytes: options.indexIntervalBytes), indexWritesHealthy else {
            return
        }
        let count = activeIndex.offsetEntries.count
        let entryPosition = Int64(IndexLayout.headerSize + (count - 1) * IndexLayout.entrySize)
        let offsetEntry = activeIndex.offsetEntries[count - 1]
        let timeEntry = activeIndex.timeEntries[count - 1]
        do {
            if indexFiles == nil {
                indexFiles = (
                    try PosixFile.openForWriting(directory.offsetIndexPath(activeBase)),
                    try PosixFile.openForWriting(directory.timeIndexPath(activeBase))
                )
            }
            try indexFiles!.offsets.write(IndexLayout.entry(offsetEntry.offset, offsetEntry.position), at: entryPosition)
            try indexFiles!.times.write(IndexLayout.entry(timeEntry.receivedAtMs, timeEntry.offset), at: entryPosition)
        } catch {
            indexWritesHealthy = false
        }
    }

    /// Seals the active segment (trimmed to its last batch) and starts one at `nextOffset`. On
    /// failure (disk full) the new file is removed and the active segment keeps its batches.
    private func roll() throws {
        do { try trimPreallocation() } catch { throw Self.failStop(error) }
        try Self.createSegment(directory, base: nextOffset, options: options)
        active = try PosixFile.openForWriting(directory.segmentPath(nextOffset))
        activeBase = nextOffset
        activeSize = Int64(SegmentHeader.size)
        fileEnd = activeSize
        activeIndex = SegmentIndex()
        activeHasBatches = false
        indexFiles = nil
        indexWritesHealthy = true
        do { try writeCommitMarker() } catch { throw Self.failStop(error) }
    }

    private func writeCommitMarker() throws {
        let marker = CommitMarker(segmentBase: activeBase, endPosition: FilePosition(activeSize), nextOffset: nextOffset)
        try commitFile.write(marker.encoded(), at: 0)
    }

    /// After a failed fsync the file's state is unknown (LevelDB's rule): no further appends.
    static func failStop(_ cause: any Error) -> StorageError {
        if let error = cause as? StorageError, error.code == .writerFailed { return error }
        return StorageError(
            .writerFailed,
            "the log writer stopped after a failed write or sync (\(cause)); restart the process: recovery will keep every acknowledged record",
            errno: (cause as? StorageError)?.errno, path: (cause as? StorageError)?.path)
    }
}
