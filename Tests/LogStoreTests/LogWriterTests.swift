import Foundation
import LogFormat
import SessionlogTestKit
import Testing

@testable import LogStore

@Suite struct LogWriterTests {
    @Test func appendsReadBackInOrderAcrossSegmentRolls() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var factory = PayloadFactory(seed: 1)
        let lines = factory.lines(600)
        let writer = try LogWriter.open(directory: dir.path, options: LogFixture.options(segmentBytes: 4096))
        let offsets = try await LogFixture.append(writer, lines, chunk: 7)
        let head = writer.committedEnd.head
        await writer.close()

        #expect(offsets == (0..<600).map { LogOffset(UInt64($0)) })
        let segments = try LogFixture.segmentFiles(dir.path)
        #expect(segments.count > 5)
        for sealed in segments.dropLast() {  // rolled between requests: at most one request past the limit
            #expect(try LogFixture.fileSize(sealed) < 4096 + 7 * 1200)
        }
        let records = try LogFixture.readAll(dir.path)
        #expect(records.map { String(decoding: $0.payload, as: UTF8.self) } == lines)
        #expect(records.map(\.offset) == offsets)
        let report = try LogVerifier.verify(directory: dir.path)
        #expect(report.lastOffset == LogOffset(599) && report.head == head)
    }

    @Test func batchesStraddlingTheReadAheadBufferAreReadWhole() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var factory = PayloadFactory(seed: 5)
        // Incompressible payloads, so the segment outgrows the scanner's read-ahead several times.
        let lines = (0..<160).map { i in
            "{\"n\":\(i),\"noise\":\"" + String((0..<60_000).map { _ in Character(UnicodeScalar(UInt8(97 + factory.next(26)))) }) + "\"}"
        }
        let writer = try LogWriter.open(directory: dir.path, options: LogFixture.options(segmentBytes: 64 << 20))
        _ = try await LogFixture.append(writer, lines, chunk: 3)
        await writer.close()
        #expect(try LogFixture.fileSize(LogDirectory(path: dir.path).segmentPath(.zero)) > 2 * SegmentScanner.readAheadBytes)
        #expect(try LogFixture.readAll(dir.path).map { String(decoding: $0.payload, as: UTF8.self) } == lines)
        #expect(try LogVerifier.verify(directory: dir.path).records == lines.count)
        #expect(try LogInspector.summarize(directory: dir.path)[0].records == lines.count)
    }

    @Test func readingFromAnyOffsetStartsExactlyThere() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let lines = (0..<300).map { #"{"v":3,"n":\#($0)}"# }
        let writer = try LogWriter.open(directory: dir.path, options: LogFixture.options(segmentBytes: 2048))
        _ = try await LogFixture.append(writer, lines, chunk: 5)
        await writer.close()
        for start in [0, 1, 4, 5, 77, 150, 299, 300] {
            let records = try LogFixture.readAll(dir.path, from: LogOffset(UInt64(start)))
            #expect(records.map(\.offset.rawValue) == (UInt64(start)..<300).map { $0 })
        }
    }

    /// A copy of a live log taken file by file, its commit marker first (docs/operations.md,
    /// "Backups"), can hold segments begun after the marker without index files yet, and index
    /// entries that one of a segment's two index files has and the other not yet. Past the marker
    /// `verify` accepts both; an entry of a committed batch in one file only is still an error.
    @Test func indexEntriesPastTheCommitMarkerMayBeMissingOrUnpaired() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var options = LogFixture.options(segmentBytes: 1024)
        options.indexIntervalBytes = 1
        let writer = try LogWriter.open(directory: dir.path, options: options)
        let pad = String(repeating: "x", count: 300)
        _ = try await LogFixture.append(writer, (0..<20).map { #"{"v":3,"i":\#($0),"pad":"\#(pad)"}"# })
        let marker = try Data(contentsOf: URL(fileURLWithPath: dir.file("COMMIT")))  // as a backup copies it first
        _ = try await LogFixture.append(writer, (20..<40).map { #"{"v":3,"i":\#($0),"pad":"\#(pad)"}"# })
        await writer.close()
        try marker.write(to: URL(fileURLWithPath: dir.file("COMMIT")))
        let log = LogDirectory(path: dir.path)
        let later = try log.segmentBases().filter { $0 >= LogOffset(20) }
        try #require(later.count >= 2)
        try FileManager.default.removeItem(atPath: log.offsetIndexPath(later[1]))
        try FileManager.default.removeItem(atPath: log.timeIndexPath(later[1]))
        LogFixture.truncate(log.offsetIndexPath(later[0]), to: try LogFixture.fileSize(log.offsetIndexPath(later[0])) - 16)
        #expect(try LogVerifier.verify(directory: dir.path).records == 20)

        let first = log.offsetIndexPath(.zero)
        LogFixture.truncate(first, to: try LogFixture.fileSize(first) - 16)
        #expect(throws: StorageError.self, "an entry of a committed batch in the time index only") { try LogVerifier.verify(directory: dir.path) }
    }

    @Test func concurrentAppendsAreGroupedIntoFewerCommits() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = try LogWriter.open(directory: dir.path, options: LogFixture.options())
        let offsets = try await withThrowingTaskGroup(of: [LogOffset].self) { group in
            for i in 0..<400 {
                group.addTask { try await writer.append([LogFixture.record(#"{"v":3,"i":\#(i)}"#)]) }
            }
            return try await group.reduce(into: [LogOffset]()) { $0 += $1 }
        }
        await writer.close()
        #expect(Set(offsets) == Set((0..<400).map { LogOffset(UInt64($0)) }))
        let batches = try LogInspector.summarize(directory: dir.path).reduce(0) { $0 + $1.batches }
        #expect(batches < 400, "400 concurrent single-record appends should share group commits")
        #expect(try LogVerifier.verify(directory: dir.path).records == 400)
    }

    @Test func enqueuedAppendsKeepCallOrderAndRollInsideOneGroup() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = try LogWriter.open(directory: dir.path, options: LogFixture.options(segmentBytes: 1024))
        let tickets = (0..<200).map { i in writer.enqueue([LogFixture.record(#"{"v":3,"i":\#(i),"pad":"0123456789"}"#)]) }
        var offsets = [LogOffset]()
        for ticket in tickets { offsets += try await ticket.offsets() }
        await writer.close()
        #expect(offsets == (0..<200).map { LogOffset(UInt64($0)) })
        #expect(try LogFixture.segmentFiles(dir.path).count > 3)
        _ = try LogVerifier.verify(directory: dir.path)
    }

    /// Appends prepared on other tasks (large ones compressed there) take offsets in the order they
    /// are enqueued, whatever order their preparation finished in, and read back byte for byte.
    @Test func preparedAppendsTakeOffsetsInEnqueueOrder() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = try LogWriter.open(directory: dir.path, options: LogFixture.options())
        let requests = (0..<6).map { request in
            // Even requests are small (laid out by the writer); odd ones are over 16 KiB.
            let lines = request % 2 == 0 ? 3 : 400
            return (0..<lines).map { LogFixture.record(#"{"v":3,"request":\#(request),"line":\#($0)}"#) }
        }
        let prepared = await withTaskGroup(of: (Int, PreparedAppend).self) { group in
            for (index, records) in requests.enumerated().reversed() {
                group.addTask { (index, writer.prepare(records)) }
            }
            return await group.reduce(into: [Int: PreparedAppend]()) { $0[$1.0] = $1.1 }
        }
        let order = [3, 0, 5, 1, 4, 2]
        let tickets = order.map { writer.enqueue(prepared[$0]!) }
        var offsets = [LogOffset]()
        for ticket in tickets { offsets += try await ticket.offsets() }
        await writer.close()
        let expected = order.flatMap { requests[$0] }
        #expect(offsets == (0..<expected.count).map { LogOffset(UInt64($0)) })
        #expect(try LogFixture.readAll(dir.path).map { Array($0.payload) } == expected.map(\.payload))
        #expect(try LogVerifier.verify(directory: dir.path).records == expected.count)
    }

    /// An append chained after a failed one fails with its error and writes nothing, as does the
    /// next one in the chain; appends after a durable one, or unchained, are written.
    @Test func anAppendAfterAFailedOneFailsUnwritten() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = try LogWriter.open(directory: dir.path, options: LogFixture.options())
        let refused = writer.enqueue([LogFixture.record("{}", key: String(repeating: "k", count: RecordLayout.keyBytesMax + 1))])
        let chained = writer.enqueue([LogFixture.record(#"{"chained":1}"#)], after: refused)
        let chainedAgain = writer.enqueue([LogFixture.record(#"{"chained":2}"#)], after: chained)
        let unchained = writer.enqueue([LogFixture.record(#"{"unchained":true}"#)])
        let afterDurable = writer.enqueue([LogFixture.record(#"{"after":"durable"}"#)], after: unchained)
        for ticket in [refused, chained, chainedAgain] {
            guard case .failure(let error) = await ticket.outcome() else {
                Issue.record("an append after a failed one was written")
                continue
            }
            #expect(error.code == .invalidArgument)
        }
        #expect(try await unchained.offsets() == [LogOffset(0)])
        #expect(try await afterDurable.offsets() == [LogOffset(1)])
        await writer.close()
        #expect(try LogFixture.readAll(dir.path).map { String(decoding: $0.payload, as: UTF8.self) } == [#"{"unchained":true}"#, #"{"after":"durable"}"#])
    }

    @Test func oneCallsRecordsGetConsecutiveOffsets() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = try LogWriter.open(directory: dir.path, options: LogFixture.options())
        let results = try await withThrowingTaskGroup(of: [LogOffset].self) { group in
            for _ in 0..<20 {
                group.addTask { try await writer.append((0..<10).map { _ in LogFixture.record("{}") }) }
            }
            return try await group.reduce(into: [[LogOffset]]()) { $0.append($1) }
        }
        await writer.close()
        for offsets in results {
            #expect(offsets == (0..<10).map { offsets[0].advanced(by: $0) })
        }
    }

    @Test func receivedAtNeverDecreasesWhenTheClockStepsBack() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let clock = SteppingClock(start: 2_000_000, step: -100)  // a clock running backwards
        let writer = try LogWriter.open(directory: dir.path, options: LogFixture.options(clock: { clock.read() }))
        _ = try await LogFixture.append(writer, (0..<20).map { _ in "{}" })
        await writer.close()
        let times = try LogFixture.readAll(dir.path).map(\.receivedAtMs)
        #expect(times == times.sorted())
        _ = try LogVerifier.verify(directory: dir.path)
    }

    @Test func aSecondWriterIsRefusedNamingTheHolder() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = try LogWriter.open(directory: dir.path)
        #expect {
            _ = try LogWriter.open(directory: dir.path)
        } throws: { error in
            guard let error = error as? StorageError else { return false }
            return error.code == .locked && error.message.contains("pid \(getpid())")
        }
        await writer.close()
        let again = try LogWriter.open(directory: dir.path)  // released on close
        await again.close()
    }

    @Test func appendsAfterCloseFailClearly() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = try LogWriter.open(directory: dir.path)
        await writer.close()
        await #expect { _ = try await writer.append([LogFixture.record("{}")]) } throws: {
            ($0 as? StorageError)?.code == .closed
        }
    }

    @Test func timeLookupNeverSkipsARecordAtOrAfterTheTime() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let clock = SteppingClock(start: 1_000_000, step: 7)
        let writer = try LogWriter.open(
            directory: dir.path, options: LogFixture.options(segmentBytes: 1500, clock: { clock.read() }))
        _ = try await LogFixture.append(writer, (0..<400).map { #"{"v":3,"n":\#($0)}"# }, chunk: 3)
        await writer.close()
        let all = try LogFixture.readAll(dir.path)
        let reader = LogReader(directory: dir.path)
        for probe in stride(from: all.first!.receivedAtMs - 5, through: all.last!.receivedAtMs + 5, by: 37) {
            let start = try reader.offset(beforeTimeMs: probe)
            let firstAtOrAfter = all.first { $0.receivedAtMs >= probe }?.offset ?? LogOffset(400)
            #expect(start <= firstAtOrAfter)
            #expect(all.filter { $0.offset < start }.allSatisfy { $0.receivedAtMs < probe })
            #expect(firstAtOrAfter.rawValue - start.rawValue < 100, "the time index should land near the target")
        }
    }

    @Test func theWriterThreadIsNamedForItsLogCutToWhatLinuxKeeps() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // A unique directory name longer than the 15 bytes Linux keeps: the name is cut, not refused.
        let unique = "t" + String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        let directory = dir.path + "/" + unique + "-directory-name"
        let expected = String(("writer " + unique + "-directory-name").utf8.prefix(15))!
        #expect(LogWriter.threadName(directory: directory) == expected)

        let writer = try LogWriter.open(directory: directory)
        func threadNames() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []).compactMap {
                try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8).trimmingCharacters(in: .newlines)
            }
        }
        var named = false
        for _ in 0..<200 where !named {  // the thread names itself as it starts
            named = threadNames().contains(expected)
            if !named { try await Task.sleep(for: .milliseconds(5)) }
        }
        await writer.close()
        #expect(named, "no thread named \(expected): \(threadNames())")
    }

    @Test func directoriesAreMadeAndListedWithErrorsThatNameWhatFailed() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try PosixFile.createDirectories(dir.file("a/b/c"))
        try PosixFile.createDirectories(dir.file("a/b/c"))  // existing: nothing to do
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: dir.file("a/b/c"), isDirectory: &isDirectory) && isDirectory.boolValue)
        #expect(FileManager.default.createFile(atPath: dir.file("file"), contents: Data()))
        let error = try #require(throws: StorageError.self) { try PosixFile.createDirectories(dir.file("file/log")) }
        #expect(error.message.hasPrefix("mkdir /") && error.message.hasSuffix("/file: Not a directory"), "\(error.message)")
        #expect(try Set(PosixFile.names(inDirectory: dir.path)) == ["a", "file"])
        let listing = try #require(throws: StorageError.self) { try PosixFile.names(inDirectory: dir.file("file")) }
        #expect(listing.message.hasPrefix("opendir /") && listing.message.hasSuffix("/file: Not a directory"), "\(listing.message)")
    }

    /// A directory larger than one `getdents` buffer (~32 KiB), with names of every length from 1
    /// to 255 bytes: each buffer's last entry ends near the buffer's end, where reading a whole
    /// `struct dirent` rather than the name's bytes would run past it (under AddressSanitizer a
    /// heap-buffer-overflow; without it, a crash when the buffer ends a mapped page).
    @Test func aLargeDirectoryIsListedWhole() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var expected = Set<String>()
        for index in 0..<3000 {
            let name = String(index) + String(repeating: "n", count: index % 250)
            #expect(FileManager.default.createFile(atPath: dir.file(name), contents: nil))
            expected.insert(name)
        }
        let names = try PosixFile.names(inDirectory: dir.path)
        #expect(names.count == expected.count)
        #expect(Set(names) == expected)
    }
}
