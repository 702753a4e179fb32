import Foundation
import LogFormat
import SessionlogTestKit
import Testing

@testable import LogStore

/// The active segment's preallocated tail (`LogWriterOptions.preallocationBytes`): zeros written
/// ahead of the data, invisible to readers and to `verify`, kept across a crash, and trimmed from
/// sealed and cleanly closed segments.
@Suite struct PreallocationTests {
    private static func options(segmentBytes: Int = 1 << 20) -> LogWriterOptions {
        var options = LogFixture.options(segmentBytes: segmentBytes)
        options.preallocationBytes = 16 << 10
        return options
    }

    /// A log in `dir/log` whose writer stays open, with `count` records appended.
    private static func runningLog(in dir: TemporaryDirectory, records count: Int) async throws -> (log: String, writer: LogWriter) {
        let log = dir.file("log")
        let writer = try LogWriter.open(directory: log, options: options())
        _ = try await LogFixture.append(writer, (0..<count).map { #"{"n":\#($0)}"# })
        return (log, writer)
    }

    /// The directory a kill -9 leaves behind after `count` records: a copy of `dir/log` taken
    /// while its writer runs (the zeros ahead of the data included), in `dir/crashed`.
    private static func crashedLog(in dir: TemporaryDirectory, records count: Int) async throws -> String {
        let (log, writer) = try await runningLog(in: dir, records: count)
        let crashed = dir.file("crashed")
        try LogFixture.copyDirectory(log, to: crashed)
        await writer.close()
        return crashed
    }

    /// The bytes of `path` from `start` on.
    private static func tail(_ path: String, from start: Int) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)).dropFirst(start))
    }

    @Test func theActiveSegmentRunsOnInZerosThatReadersAndVerifyIgnoreAndCloseTrims() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let segment = LogDirectory(path: dir.path).segmentPath(.zero)
        let writer = try LogWriter.open(directory: dir.path, options: Self.options())
        let lines = (0..<50).map { #"{"v":3,"n":\#($0)}"# }
        _ = try await LogFixture.append(writer, lines, chunk: 5)

        let end = try LogFixture.committedEnd(dir.path)
        let zeros = try Self.tail(segment, from: end)
        #expect(zeros.count >= 8 << 10 && zeros.allSatisfy { $0 == 0 }, "\(zeros.count) bytes after the data")
        #expect(try LogFixture.readAll(dir.path).map { String(decoding: $0.payload, as: UTF8.self) } == lines)
        let report = try LogVerifier.verify(directory: dir.path)
        #expect(report.lastOffset == LogOffset(49) && report.uncommittedBytes == 0)

        await writer.close()
        #expect(try LogFixture.fileSize(segment) == end)
    }

    @Test func aCrashLeavesTheZerosAndRecoveryKeepsThemWithoutReportingATornTail() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let crashed = try await Self.crashedLog(in: dir, records: 20)
        let segment = LogDirectory(path: crashed).segmentPath(.zero)
        let end = try LogFixture.committedEnd(crashed)
        #expect(try LogFixture.fileSize(segment) > end)

        let reopened = try LogWriter.open(directory: crashed, options: Self.options())
        #expect(reopened.recovery.truncation == nil && reopened.recovery.nextOffset == LogOffset(20))
        #expect(try await reopened.append([LogFixture.record(#"{"after":true}"#)]) == [LogOffset(20)])
        #expect(try LogFixture.fileSize(segment) > (try LogFixture.committedEnd(crashed)))
        await reopened.close()
        let records = try LogFixture.readAll(crashed)
        #expect(records.count == 21 && String(decoding: records[20].payload, as: UTF8.self) == #"{"after":true}"#)
        _ = try LogVerifier.verify(directory: crashed)
    }

    @Test func aTornBatchInFrontOfTheZerosIsCutAndReported() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (log, writer) = try await Self.runningLog(in: dir, records: 10)
        let end = try LogFixture.committedEnd(log)
        let commitPath = LogDirectory(path: log).commitPath
        let markerBefore = try Data(contentsOf: URL(fileURLWithPath: commitPath))
        // The first 40 bytes of the next batch reached the disk, the rest did not, and the crash
        // came before the marker moved.
        _ = try await writer.append([LogFixture.record(#"{"torn":true}"#)])
        let torn = Array(try Self.tail(LogDirectory(path: log).segmentPath(.zero), from: end).prefix(40))
        let crashed = dir.file("crashed")
        try LogFixture.copyDirectory(log, to: crashed)
        await writer.close()
        let segment = LogDirectory(path: crashed).segmentPath(.zero)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: segment))
        try handle.seek(toOffset: UInt64(end))
        try handle.write(contentsOf: torn + [UInt8](repeating: 0, count: 200))
        try handle.close()
        try markerBefore.write(to: URL(fileURLWithPath: LogDirectory(path: crashed).commitPath))
        #expect(try Self.tail(segment, from: end + 40).allSatisfy { $0 == 0 })
        let size = try LogFixture.fileSize(segment)

        let reopened = try LogWriter.open(directory: crashed, options: Self.options())
        let truncation = try #require(reopened.recovery.truncation)
        #expect(truncation.position == FilePosition(Int64(end)) && truncation.bytes == Int64(size - end))
        #expect(truncation.firstLostOffset == LogOffset(10))
        await reopened.close()
        #expect(try LogFixture.readAll(crashed).count == 10)
    }

    /// A reader that opened the log before it had a commit marker reads without a limit and may
    /// have read the zeros ahead; once a writer's marker names the segment, the marker bounds it
    /// and the reader sees what was appended since (the zeros it read are not taken as corruption).
    @Test func aReaderThatStartedBeforeTheMarkerFollowsOnceOneIsWritten() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // A running log copied without its marker: three batches, then zeros.
        let copy = try await Self.crashedLog(in: dir, records: 3)
        try FileManager.default.removeItem(atPath: LogDirectory(path: copy).commitPath)

        var cursor = LogReader(directory: copy).cursor(from: .zero)
        var read = [String]()
        while let batch = try cursor.nextBatch() { read += batch.map { String(decoding: $0.payload, as: UTF8.self) } }
        #expect(read == (0..<3).map { #"{"n":\#($0)}"# })

        let reopened = try LogWriter.open(directory: copy, options: Self.options())
        _ = try await LogFixture.append(reopened, [#"{"n":3}"#])
        while let batch = try cursor.nextBatch() { read += batch.map { String(decoding: $0.payload, as: UTF8.self) } }
        await reopened.close()
        #expect(read == (0..<4).map { #"{"n":\#($0)}"# })
    }

    @Test func sealedSegmentsEndAtTheirLastBatch() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var factory = PayloadFactory(seed: 3)
        let lines = factory.lines(400)
        let writer = try LogWriter.open(directory: dir.path, options: Self.options(segmentBytes: 24 << 10))
        _ = try await LogFixture.append(writer, lines, chunk: 4)
        let segments = try LogFixture.segmentFiles(dir.path)
        #expect(segments.count > 2)
        for sealed in segments.dropLast() {
            let file = try PosixFile.openForReading(sealed)
            #expect(try file.nonZeroEnd(from: 0) == file.size(), "\(sealed) ends in zeros")
        }
        // `verify` scans sealed segments strictly: zeros after their last batch would be corruption.
        #expect(try LogVerifier.verify(directory: dir.path).records == lines.count)
        await writer.close()
    }
}
