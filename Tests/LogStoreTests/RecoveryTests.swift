import Foundation
import LogFormat
import SessionlogTestKit
import Testing

@testable import LogStore

/// Recovery and verification against damaged files: the corruption catalogue on real files.
@Suite struct RecoveryTests {
    /// A one-segment log of three batches; returns the byte position where each batch ends.
    private func threeBatchLog(_ path: String) async throws -> [Int] {
        let writer = try LogWriter.open(directory: path, options: LogFixture.options())
        var ends = [Int]()
        for batch in 0..<3 {
            _ = try await writer.append((0..<4).map { LogFixture.record(#"{"v":3,"batch":\#(batch),"i":\#($0)}"#) })
            ends.append(try LogFixture.committedEnd(path))
        }
        await writer.close()
        return ends
    }

    /// A log of 40 records in segments of 600 bytes; returns its segment files.
    private func multiSegmentLog(_ path: String) async throws -> [String] {
        let writer = try LogWriter.open(directory: path, options: LogFixture.options(segmentBytes: 600))
        _ = try await LogFixture.append(writer, (0..<40).map { #"{"v":3,"n":\#($0),"pad":"abcdefghijklmnop"}"# }, chunk: 4)
        await writer.close()
        return try LogFixture.segmentFiles(path)
    }

    @Test func aTornTailIsCutAtEveryBytePositionOfTheLastBatch() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let original = dir.file("original")
        let ends = try await threeBatchLog(original)
        let expected = try LogFixture.readAll(original).prefix(8).map { Array($0.payload) }
        for cut in ends[1]..<ends[2] {
            let copy = dir.file("copy")
            try LogFixture.copyDirectory(original, to: copy)
            LogFixture.truncate(LogDirectory(path: copy).segmentPath(.zero), to: cut)
            let writer = try LogWriter.open(directory: copy, options: LogFixture.options())
            #expect(writer.recovery.nextOffset == LogOffset(8))
            if cut > ends[1] {
                let truncation = try #require(writer.recovery.truncation)
                #expect(truncation.position == FilePosition(ends[1]) && truncation.bytes == Int64(cut - ends[1]))
                #expect(truncation.firstLostOffset == LogOffset(8))
            }
            let next = try await writer.append([LogFixture.record(#"{"after":"recovery"}"#)])
            await writer.close()
            #expect(next == [LogOffset(8)])
            let records = try LogFixture.readAll(copy)
            #expect(records.prefix(8).map { Array($0.payload) } == expected && records.count == 9)
            _ = try LogVerifier.verify(directory: copy)
        }
    }

    /// SPEC §3: a corrupt *tail* batch is cut; a damaged batch with history after it is an error,
    /// and the writer changes nothing (cutting there would drop every acknowledged record after it).
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8]) func aFlippedByteInTheActiveSegmentIsCutOnlyFromItsTail(seed: Int) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let original = dir.file("original")
        let ends = try await threeBatchLog(original)
        let starts = [SegmentHeader.size] + ends.dropLast()
        var factory = PayloadFactory(seed: UInt64(seed))
        for _ in 0..<12 {
            let position = SegmentHeader.size + factory.next(ends[2] - SegmentHeader.size)
            let damagedBatch = ends.firstIndex { position < $0 }!
            let copy = dir.file("copy")
            try LogFixture.copyDirectory(original, to: copy)
            let segment = LogDirectory(path: copy).segmentPath(.zero)
            try LogFixture.flipByte(segment, at: position, mask: UInt8(1 << factory.next(8)))
            let damaged = try Data(contentsOf: URL(fileURLWithPath: segment))
            #expect(throws: StorageError.self) { try LogVerifier.verify(directory: copy) }
            guard damagedBatch == ends.count - 1 else {
                let error = try #require(throws: StorageError.self, "flip at byte \(position)") {
                    try LogWriter.open(directory: copy, options: LogFixture.options())
                }
                #expect(error.code == .corruption && error.message.contains("intact batches follow it"), "\(error)")
                #expect(error.location?.position == FilePosition(starts[damagedBatch]))
                #expect(error.location?.offset == LogOffset(UInt64(damagedBatch * 4)))
                #expect(try Data(contentsOf: URL(fileURLWithPath: segment)) == damaged, "nothing changed")
                continue
            }
            let writer = try LogWriter.open(directory: copy, options: LogFixture.options())
            await writer.close()
            #expect(writer.recovery.nextOffset == LogOffset(8), "flip at byte \(position)")
            #expect(writer.recovery.truncation?.position == FilePosition(starts[2]))
            #expect(try LogFixture.readAll(copy).count == 8)
            _ = try LogVerifier.verify(directory: copy)
        }
    }

    /// A crash during a group commit can leave a later batch of the group on disk after a hole.
    /// Past the commit marker's end nothing was acknowledged, so the whole rest is the tail.
    @Test func anIntactBatchPastTheCommittedEndDoesNotMakeAHoleBeforeItCorruption() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let ends = try await threeBatchLog(dir.path)
        let segment = LogDirectory(path: dir.path).segmentPath(.zero)
        let lastBatch = try Data(contentsOf: URL(fileURLWithPath: segment))[ends[1]..<ends[2]]
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: segment))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 100) + lastBatch)  // garbage, then an intact batch
        try handle.close()
        #expect(try LogFixture.committedEnd(dir.path) == ends[2])
        let writer = try LogWriter.open(directory: dir.path, options: LogFixture.options())
        await writer.close()
        #expect(writer.recovery.nextOffset == LogOffset(12))
        #expect(writer.recovery.truncation?.position == FilePosition(ends[2]))
        #expect(try LogFixture.fileSize(segment) == ends[2])
    }

    /// Segments are created and synced before COMMIT names them, so a named segment that is
    /// missing was removed: recovering would silently reuse the offsets of its records.
    @Test func aRemovedLastSegmentIsReportedNotRecoveredOver() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let segments = try await multiSegmentLog(dir.path)
        try FileManager.default.removeItem(atPath: segments.last!)
        let opened = try #require(throws: StorageError.self) { try LogWriter.open(directory: dir.path, options: LogFixture.options(segmentBytes: 600)) }
        #expect(opened.code == .corruption && opened.message.contains("up to offset 40") && opened.message.contains("missing"), "\(opened)")
        let verified = try #require(throws: StorageError.self) { try LogVerifier.verify(directory: dir.path) }
        #expect(verified.message.contains("up to offset 40") && verified.message.contains("segments end at offset"), "\(verified)")
        #expect(try LogFixture.segmentFiles(dir.path).count == segments.count - 1, "nothing was created or cut")
    }

    @Test func verifyCatchesEveryFlippedByteOfASealedSegment() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let segments = try await multiSegmentLog(dir.path)
        #expect(segments.count >= 3)
        let sealed = segments[1]
        let sealedName = URL(fileURLWithPath: sealed).lastPathComponent
        for position in 0..<(try LogFixture.fileSize(sealed)) {
            try LogFixture.flipByte(sealed, at: position)
            #expect {
                try LogVerifier.verify(directory: dir.path)
            } throws: { error in
                (error as? StorageError)?.location?.segment == sealedName
            }
            try LogFixture.flipByte(sealed, at: position)
        }
        _ = try LogVerifier.verify(directory: dir.path)
        // The writer refuses a log whose sealed segment is corrupt, naming where.
        try LogFixture.flipByte(sealed, at: SegmentHeader.size + 20)
        try FileManager.default.removeItem(atPath: LogDirectory(path: dir.path).offsetIndexPath(LogOffset(try LogDirectory(path: dir.path).segmentBases()[1].rawValue)))
        #expect { _ = try LogWriter.open(directory: dir.path) } throws: { error in
            let error = error as? StorageError
            return error?.code == .corruption && error?.location?.segment == sealedName
                && error?.location?.position == FilePosition(SegmentHeader.size)
        }
    }

    @Test func expectHeadProvesHistoryUnchanged() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var writer = try LogWriter.open(directory: dir.path, options: LogFixture.options(segmentBytes: 1000))
        _ = try await LogFixture.append(writer, (0..<30).map { #"{"n":\#($0)}"# }, chunk: 3)
        await writer.close()
        let recorded = try LogVerifier.verify(directory: dir.path)
        writer = try LogWriter.open(directory: dir.path, options: LogFixture.options(segmentBytes: 1000))
        _ = try await LogFixture.append(writer, (30..<60).map { #"{"n":\#($0)}"# }, chunk: 3)
        await writer.close()
        _ = try LogVerifier.verify(directory: dir.path, expectHead: (recorded.lastOffset!, recorded.head))
        #expect(throws: StorageError.self) {
            try LogVerifier.verify(directory: dir.path, expectHead: (recorded.lastOffset!, BatchHash.zero))
        }
        #expect(throws: StorageError.self) {  // not a batch's last offset
            try LogVerifier.verify(directory: dir.path, expectHead: (LogOffset(1), recorded.head))
        }
        #expect(throws: StorageError.self) {  // past the end
            try LogVerifier.verify(directory: dir.path, expectHead: (LogOffset(10_000), recorded.head))
        }
    }

    @Test func missingOrDamagedIndexesAreRebuiltAndReadersDoWithout() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = LogDirectory(path: dir.path)
        var writer = try LogWriter.open(directory: dir.path, options: LogFixture.options(segmentBytes: 800))
        _ = try await LogFixture.append(writer, (0..<100).map { #"{"n":\#($0)}"# }, chunk: 2)
        await writer.close()
        let bases = try log.segmentBases()
        try FileManager.default.removeItem(atPath: log.offsetIndexPath(bases[0]))
        try Data(repeating: 7, count: 48).write(to: URL(fileURLWithPath: log.timeIndexPath(bases[1])))
        #expect(throws: StorageError.self) { try LogVerifier.verify(directory: dir.path) }
        #expect(try LogFixture.readAll(dir.path, from: LogOffset(3)).count == 97)
        writer = try LogWriter.open(directory: dir.path, options: LogFixture.options(segmentBytes: 800))
        await writer.close()
        #expect(writer.recovery.rebuiltIndexes == [bases[0], bases[1]])
        _ = try LogVerifier.verify(directory: dir.path)
    }

    @Test func readersNeverSeeBytesPastTheCommitMarker() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = try LogWriter.open(directory: dir.path, options: LogFixture.options())
        _ = try await LogFixture.append(writer, (0..<10).map { #"{"n":\#($0)}"# })
        await writer.close()
        // Simulate an append in progress: a complete, valid batch written but not yet committed.
        let segment = LogDirectory(path: dir.path).segmentPath(.zero)
        let marker = try Data(contentsOf: URL(fileURLWithPath: LogDirectory(path: dir.path).commitPath))
        let extra = try await {
            let scratchDir = try TemporaryDirectory()
            defer { scratchDir.remove() }
            let scratch = scratchDir.file("log")
            try LogFixture.copyDirectory(dir.path, to: scratch)
            let other = try LogWriter.open(directory: scratch, options: LogFixture.options())
            _ = try await other.append([LogFixture.record(#"{"uncommitted":true}"#)])
            await other.close()
            let bytes = try Data(contentsOf: URL(fileURLWithPath: LogDirectory(path: scratch).segmentPath(.zero)))
            return bytes.suffix(from: try LogFixture.fileSize(segment))
        }()
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: segment))
        try handle.seekToEnd()
        try handle.write(contentsOf: extra)
        try handle.close()
        try marker.write(to: URL(fileURLWithPath: LogDirectory(path: dir.path).commitPath))

        #expect(try LogFixture.readAll(dir.path).count == 10)
        let report = try LogVerifier.verify(directory: dir.path)
        #expect(report.lastOffset == LogOffset(9) && report.uncommittedBytes == Int64(extra.count))
    }
}
