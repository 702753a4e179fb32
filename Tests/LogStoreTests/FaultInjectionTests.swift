import Foundation
import LogFormat
import SessionlogTestKit
import Synchronization
import Testing

@testable import LogStore

/// Faults injected into real files (FaultInjection): fail-stop after a failed fsync, torn writes on
/// a full disk, and a seeded random mix. Each test's rules apply to its own directory only.
@Suite struct FaultInjectionTests {
    /// A rule that fires for segment files only, at most `times` times.
    private static func segmentFault(_ operation: FileOperation, _ fault: InjectedFault, times: Int = 1)
        -> FaultInjection.Rule
    {
        let remaining = Mutex(times)
        return { op, path in
            guard op == operation, path.hasSuffix(".seg") else { return nil }
            return remaining.withLock { left in
                guard left > 0 else { return nil }
                left -= 1
                return fault
            }
        }
    }

    @Test func aFailedFsyncStopsTheWriterForGoodAndRecoveryKeepsEveryAcknowledgedRecord() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove(); FaultInjection.install(under: dir.path, nil) }
        let writer = try LogWriter.open(directory: dir.path, options: LogFixture.options())
        let acknowledged = try await LogFixture.append(writer, (0..<10).map { #"{"n":\#($0)}"# })
        FaultInjection.install(under: dir.path, Self.segmentFault(.sync, .fail(errno: EIO)))
        await #expect { _ = try await writer.append([LogFixture.record("{}")]) } throws: {
            ($0 as? StorageError)?.code == .writerFailed
        }
        // Fail-stop: even with the fault gone, this writer accepts nothing more.
        FaultInjection.install(under: dir.path, nil)
        await #expect { _ = try await writer.append([LogFixture.record("{}")]) } throws: {
            ($0 as? StorageError)?.code == .writerFailed
        }
        await writer.close()
        let reopened = try LogWriter.open(directory: dir.path, options: LogFixture.options())
        let next = try await reopened.append([LogFixture.record(#"{"after":true}"#)])
        await reopened.close()
        let records = try LogFixture.readAll(dir.path)
        #expect(Array(records.prefix(10).map(\.offset)) == acknowledged)
        #expect(next[0] >= LogOffset(10))
        _ = try LogVerifier.verify(directory: dir.path)
    }

    @Test func aTornWriteOnAFullDiskLeavesNothingPartialAndTheWriterGoesOn() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove(); FaultInjection.install(under: dir.path, nil) }
        let writer = try LogWriter.open(directory: dir.path, options: LogFixture.options())
        _ = try await LogFixture.append(writer, (0..<5).map { #"{"n":\#($0)}"# })
        let end = try LogFixture.committedEnd(dir.path)
        FaultInjection.install(under: dir.path, Self.segmentFault(.write, .tornWrite(errno: ENOSPC)))
        await #expect { _ = try await writer.append([LogFixture.record(#"{"lost":true}"#)]) } throws: {
            ($0 as? StorageError)?.code == .diskFull
        }
        // Nothing partial stays: the file ends where the committed batches end (its preallocated
        // zeros went with the torn bytes).
        #expect(try LogFixture.fileSize(LogDirectory(path: dir.path).segmentPath(.zero)) == end)
        #expect(try LogFixture.committedEnd(dir.path) == end)
        #expect(try await writer.append([LogFixture.record(#"{"n":5}"#)]) == [LogOffset(5)])
        await writer.close()
        #expect(try LogFixture.readAll(dir.path).map { String(decoding: $0.payload, as: UTF8.self) }.last == #"{"n":5}"#)
        _ = try LogVerifier.verify(directory: dir.path)
    }

    @Test(arguments: [11, 12, 13]) func randomFaultsNeverLoseAnAcknowledgedRecord(seed: UInt64) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove(); FaultInjection.install(under: dir.path, nil) }
        let random = Mutex(PayloadFactory(seed: seed))
        print("fault seed \(seed)")
        FaultInjection.install(under: dir.path) { operation, path in
            guard path.hasSuffix(".seg") || path.hasSuffix("COMMIT") else { return nil }
            return random.withLock { r -> InjectedFault? in
                switch (operation, r.next(100)) {
                case (.write, 0..<6): return .tornWrite(errno: ENOSPC)
                case (.write, 6): return .fail(errno: EIO)
                case (.sync, 0..<2): return .fail(errno: EIO)
                default: return nil
                }
            }
        }
        var writer = try LogWriter.open(directory: dir.path, options: LogFixture.options(segmentBytes: 3000))
        var acknowledged = [LogOffset: String]()
        var reopens = 0
        for i in 0..<300 {
            let line = #"{"v":3,"i":\#(i),"pad":"abcdefghijklmnopqrstuvwxyz"}"#
            do {
                let offsets = try await writer.append([LogFixture.record(line)])
                acknowledged[offsets[0]] = line
            } catch let error as StorageError where error.code == .diskFull {
                continue
            } catch let error as StorageError where error.code == .writerFailed {
                await writer.close()
                FaultInjection.install(under: dir.path, nil)  // recovery itself runs on a healthy disk
                writer = try LogWriter.open(directory: dir.path, options: LogFixture.options(segmentBytes: 3000))
                reopens += 1
                FaultInjection.install(under: dir.path) { operation, path in
                    guard path.hasSuffix(".seg") else { return nil }
                    return random.withLock { r in
                        operation == .write && r.next(100) < 6 ? .tornWrite(errno: ENOSPC)
                            : operation == .sync && r.next(100) < 2 ? .fail(errno: EIO) : nil
                    }
                }
            }
        }
        await writer.close()
        FaultInjection.install(under: dir.path, nil)
        _ = try LogVerifier.verify(directory: dir.path)
        let records = Dictionary(uniqueKeysWithValues: try LogFixture.readAll(dir.path).map { ($0.offset, String(decoding: $0.payload, as: UTF8.self)) })
        for (offset, line) in acknowledged { #expect(records[offset] == line, "seed \(seed): offset \(offset)") }
        #expect(acknowledged.count > 200 && reopens > 0, "seed \(seed): \(acknowledged.count) acked, \(reopens) reopens")
    }
}
