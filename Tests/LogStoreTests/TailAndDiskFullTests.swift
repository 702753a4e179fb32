import Foundation
import LogFormat
import SessionlogTestKit
import Testing

@testable import LogStore

@Suite struct TailFollowTests {
    @Test func aTailSeesRecordsAsTheyAreCommitted() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = try LogWriter.open(directory: dir.path, options: LogFixture.options(segmentBytes: 2000))
        let follower = Task {
            var seen = [String]()
            for try await record in LogTail(directory: dir.path, from: .zero, pollIntervalMs: 1000) {
                seen.append(String(decoding: record.payload, as: UTF8.self))
                if seen.count == 120 { break }
            }
            return seen
        }
        var expected = [String]()
        for round in 0..<12 {
            let lines = (0..<10).map { #"{"round":\#(round),"i":\#($0)}"# }
            expected += lines
            _ = try await LogFixture.append(writer, lines, chunk: 10)
            try await Task.sleep(for: .milliseconds(20))
        }
        let seen = try await follower.value
        await writer.close()
        #expect(seen == expected)
    }
}

/// Disk full on a real, size-limited tmpfs.
@Suite(.serialized) struct DiskFullTests {
    @Test func aFullDiskFailsOnlyTheAppendAndAppendsResumeOnceSpaceReturns() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let disk = try SizeLimitedDisk(at: dir.file("tmpfs"), kibibytes: 2048, free: 1024)
        defer { disk.unmount() }
        let logPath = disk.path + "/log"
        let writer = try LogWriter.open(directory: logPath, options: LogFixture.options(segmentBytes: 64 << 20))
        var factory = PayloadFactory(seed: 9)
        func incompressible() -> AppendRecord {
            AppendRecord(version: 3, producerUID: 0, payload: (0..<40_000).map { _ in UInt8(truncatingIfNeeded: factory.nextRandom()) })
        }
        var acknowledged = [LogOffset: [UInt8]]()
        var failure: StorageError?
        for _ in 0..<100 {
            let record = incompressible()
            do {
                let offsets = try await writer.append([record])
                acknowledged[offsets[0]] = record.payload
            } catch let error as StorageError {
                failure = error
                break
            }
        }
        let error = try #require(failure)
        #expect(error.code == .diskFull && error.message.contains("free space"))
        #expect(acknowledged.count > 5)

        // Nothing partial is visible, and the log verifies while still full.
        let report = try LogVerifier.verify(directory: logPath)
        #expect(report.records == acknowledged.count)

        try disk.makeRoom()
        let after = incompressible()
        let offset = try await writer.append([after])
        #expect(offset == [LogOffset(UInt64(acknowledged.count))])
        acknowledged[offset[0]] = after.payload
        await writer.close()

        let reopened = try LogWriter.open(directory: logPath, options: LogFixture.options(segmentBytes: 64 << 20))
        await reopened.close()
        #expect(reopened.recovery.truncation == nil)
        let records = try LogFixture.readAll(logPath)
        #expect(records.count == acknowledged.count)
        for record in records { #expect(Array(record.payload) == acknowledged[record.offset]) }
    }
}
