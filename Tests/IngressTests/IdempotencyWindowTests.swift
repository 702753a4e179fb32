import Foundation
import LogFormat
import LogStore
import Payloads
import SessionlogTestKit
import Synchronization
import Testing

@testable import Ingress

/// The idempotency window's rules (SPEC §2) with small limits: replay and conflict, the hand-over
/// of a released key, eviction only past both the retention and the minimum count, and the
/// rebuild from a log that reads further back when the retention holds too few keys.
@Suite struct IdempotencyWindowTests {
    /// The answers claims got, in the order they were decided.
    final class Decisions: Sendable {
        private let claims = Mutex<[IdempotencyWindow.Claim]>([])
        func append(_ claim: IdempotencyWindow.Claim) { claims.withLock { $0.append(claim) } }
        var all: [IdempotencyWindow.Claim] { claims.withLock { $0 } }
    }

    /// The claim's answer, or nil while it waits for the key's request in flight (`decided` then
    /// gets the answer later).
    static func claim(
        _ window: IdempotencyWindow, _ key: String, _ payload: String, version: UInt8 = 3, decided: Decisions = Decisions()
    ) -> IdempotencyWindow.Claim? {
        let before = decided.all.count
        window.claim(key: key, version: version, payload: Array(payload.utf8)) { decided.append($0) }
        let all = decided.all
        return all.count > before ? all[before] : nil
    }

    @Test func aRetryReplaysTheAnswerAndOtherBytesOrAnotherRouteConflict() {
        let window = IdempotencyWindow()
        #expect(Self.claim(window, "k-1", "payload") == .claimed)
        let waiters = Decisions()
        #expect(Self.claim(window, "k-1", "payload", decided: waiters) == nil, "a retry waits while the first request is in flight")
        #expect(Self.claim(window, "k-1", "other bytes", decided: waiters) == nil)
        window.complete(key: "k-1", offset: LogOffset(5), checkpoint: 2, receivedAtMs: 1_000)
        #expect(waiters.all == [.replay(offset: LogOffset(5), checkpoint: 2), .conflict])
        #expect(Self.claim(window, "k-1", "payload") == .replay(offset: LogOffset(5), checkpoint: 2))
        #expect(Self.claim(window, "k-1", "payload", version: 2) == .conflict)
        #expect(Self.claim(window, "k-1", "payload ") == .conflict)
        #expect(Self.claim(window, "k-2", "payload") == .claimed, "keys are compared whole")
    }

    @Test func aReleasedKeyPassesToTheFirstWaitingRequest() {
        let window = IdempotencyWindow()
        #expect(Self.claim(window, "k", "first") == .claimed)
        let waiters = Decisions()
        #expect(Self.claim(window, "k", "second", decided: waiters) == nil)
        window.release(key: "k")  // the first was rejected or failed
        #expect(waiters.all == [.claimed])
        window.complete(key: "k", offset: LogOffset(9), checkpoint: nil, receivedAtMs: 1_000)
        #expect(Self.claim(window, "k", "second") == .replay(offset: LogOffset(9), checkpoint: nil))
        #expect(Self.claim(window, "k", "first") == .conflict)
        window.release(key: "unknown")  // nothing claimed it: no effect
        #expect(window.count == 1)
    }

    @Test func keysLeaveOnlyWhenOlderThanTheRetentionAndBeyondTheMinimum() {
        let window = IdempotencyWindow(retentionMs: 1_000, keysMin: 3)
        for (index, time) in [0, 1, 2, 3, 4].enumerated() {
            #expect(Self.claim(window, "k\(index)", "p") == .claimed)
            window.complete(key: "k\(index)", offset: LogOffset(UInt64(index)), checkpoint: nil, receivedAtMs: Int64(time))
        }
        #expect(window.count == 5, "none is older than the retention yet")
        #expect(Self.claim(window, "k5", "p") == .claimed)
        window.complete(key: "k5", offset: LogOffset(5), checkpoint: nil, receivedAtMs: 1_003)
        // Older than 1,003 − 1,000 ms: k0, k1, k2; the newest three stay whatever their age.
        #expect(window.count == 3)
        #expect(Self.claim(window, "k3", "p") == .replay(offset: LogOffset(3), checkpoint: nil))
        #expect(Self.claim(window, "k2", "p") == .claimed, "an evicted key is new again")
    }

    @Test func theWindowIsRebuiltFromTheLogReadingFurtherBackWhenTheRetentionHoldsTooFewKeys() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let clock = Mutex<Int64>(1_000)
        var options = LogWriterOptions()
        options.clock = { clock.withLock { $0 } }
        options.indexIntervalBytes = 1  // every batch in the time index: the recent range starts where it should
        let writer = try LogWriter.open(directory: dir.file("log"), options: options)
        func append(_ key: String?, _ payload: String, at time: Int64) async throws -> LogOffset {
            clock.withLock { $0 = time }
            return try await writer.append([AppendRecord(version: 3, producerUID: 0, idempotencyKey: key, payload: Array(payload.utf8))])[0]
        }
        let v3 = { (tag: String) in PayloadFactory.minimalV3(tag) }
        let withGoal = #"{"v":3,"session_id":"s-1","user_id":"u-1","site_id":"shop","sent_at":1762000000000,"checkpoint":4,"actions":[{"type":"goal","page_number":1,"name":"g","at":1762000000000}]}"#
        var old = [LogOffset]()
        for index in 0..<8 { old.append(try await append("old-\(index)", v3("old-\(index)"), at: 1_000 + Int64(index))) }
        _ = try await append(nil, v3("no key"), at: 50_000)
        let reused = try await append("old-7", v3("old-7, again after it left the window"), at: 99_000)
        let recent = try await append("recent", withGoal, at: 99_800)
        await writer.close()

        // 24 h here is 1 s: only two keyed records are that recent, fewer than the minimum of 5.
        let window = try IdempotencyWindow.rebuild(
            from: dir.file("log"), nowMs: 100_000, limits: PayloadLimits(), retentionMs: 1_000, keysMin: 5)
        #expect(Self.claim(window, "recent", withGoal) == .replay(offset: recent, checkpoint: 5), "the V3 checkpoint is recomputed")
        #expect(Self.claim(window, "old-7", v3("old-7, again after it left the window")) == .replay(offset: reused, checkpoint: 0))
        #expect(Self.claim(window, "old-7", v3("old-7")) == .conflict, "a key's latest record is its entry")
        for index in 5..<7 {
            #expect(Self.claim(window, "old-\(index)", v3("old-\(index)")) == .replay(offset: old[index], checkpoint: 0), "old-\(index)")
        }
        // The newest five keyed records are old-5, old-6, old-7 (twice) and recent.
        #expect(Self.claim(window, "old-4", v3("old-4")) == .claimed, "older than the retention and beyond the minimum")
    }

    /// A log of keyed records in several small segments, its writer closed; returns the offsets
    /// of the keys `k0`…`k(count-1)` (payload: their key).
    static func keyedLog(_ path: String, keys: Range<Int>, segmentBytesMax: Int = 4096) async throws -> [String: LogOffset] {
        var options = LogWriterOptions()
        options.segmentBytesMax = segmentBytesMax
        let writer = try LogWriter.open(directory: path, options: options)
        var offsets: [String: LogOffset] = [:]
        for index in keys {
            let key = "k\(index)"
            offsets[key] = try await writer.append([
                AppendRecord(version: 3, producerUID: 0, idempotencyKey: key, payload: Array(PayloadFactory.minimalV3(key).utf8))
            ])[0]
        }
        await writer.close()
        return offsets
    }

    static func rebuild(_ path: String) throws -> IdempotencyWindow {
        try IdempotencyWindow.rebuild(from: path, nowMs: Int64(Date().timeIntervalSince1970 * 1000), limits: PayloadLimits())
    }

    /// Rebuilds the log's window, saves its snapshot and returns the file's bytes.
    static func saveSnapshot(_ log: String) throws -> [UInt8] {
        #expect(try rebuild(log).saveSnapshot(logPath: log, next: LogReader(directory: log).endOffset()))
        return try [UInt8](Data(contentsOf: URL(fileURLWithPath: IdempotencySnapshot.path(logPath: log))))
    }

    /// Flips a byte of the segment's first batch: a reader of that batch fails its CRC.
    static func damage(_ segment: String) throws {
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment)))
        bytes[200] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: segment))
    }

    /// Every key's payload is answered with its record's offset.
    static func expectReplays(_ window: IdempotencyWindow, _ offsets: [String: LogOffset]) {
        for (key, offset) in offsets {
            #expect(claim(window, key, PayloadFactory.minimalV3(key)) == .replay(offset: offset, checkpoint: 0), "\(key)")
        }
    }

    /// The snapshot saved at a stop holds the window: the next rebuild reads only the records
    /// after it (here the log's first segment is damaged, which a full rebuild would have to read)
    /// and answers for every key, old and new, as a full rebuild does.
    @Test func aSnapshotSavedAtStopIsLoadedAndOnlyTheRecordsAfterItAreRead() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = dir.file("log")
        var offsets = try await Self.keyedLog(log, keys: 0..<40)
        let snapshot = try Self.saveSnapshot(log)
        offsets.merge(try await Self.keyedLog(log, keys: 40..<50)) { $1 }
        #expect(try LogDirectory(path: log).segmentBases().count >= 2)
        // Damage a record in the first segment: only a rebuild that reads it can notice.
        try Self.damage(LogDirectory(path: log).segmentPath(.zero))
        try PosixFile.removeIfPresent(IdempotencySnapshot.path(logPath: log))
        #expect(throws: StorageError.self, "without the snapshot, the rebuild reads the damaged segment") { try Self.rebuild(log) }
        try PosixFile.replaceAtomically(IdempotencySnapshot.path(logPath: log), in: log, with: snapshot)
        let loaded = try Self.rebuild(log)
        #expect(loaded.origin == IdempotencyWindow.Origin(snapshotNext: offsets["k40"]!, readFrom: offsets["k40"]!))
        #expect(loaded.count == 50)
        Self.expectReplays(loaded, offsets)
        #expect(Self.claim(loaded, "k3", "other bytes") == .conflict)
    }

    /// A snapshot is used only with the log it was saved from and only when intact; otherwise
    /// the window is rebuilt from the log.
    @Test func aSnapshotOfAnotherLogOrADamagedOneIsIgnored() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = dir.file("log")
        let offsets = try await Self.keyedLog(log, keys: 0..<10)
        let saved = try Self.saveSnapshot(log)
        #expect(try Self.rebuild(log).origin?.snapshotNext == LogOffset(10), "intact, it is loaded")

        // Damaged: an entry's offset changed (the CRC no longer matches).
        var damaged = saved
        damaged[IdempotencySnapshot.headerBytes + 3 * IdempotencySnapshot.entryBytes + 32] ^= 0x01
        try PosixFile.replaceAtomically(IdempotencySnapshot.path(logPath: log), in: log, with: damaged)
        let rebuilt = try Self.rebuild(log)
        #expect(rebuilt.origin == IdempotencyWindow.Origin(snapshotNext: nil, readFrom: .zero))
        Self.expectReplays(rebuilt, offsets)

        // Another log of the same length, with other keys: the snapshot's keys are not its keys.
        try FileManager.default.removeItem(atPath: log)
        let other = try await Self.keyedLog(log, keys: 100..<110)
        try PosixFile.replaceAtomically(IdempotencySnapshot.path(logPath: log), in: log, with: saved)
        let fromOtherLog = try Self.rebuild(log)
        #expect(Self.claim(fromOtherLog, "k0", PayloadFactory.minimalV3("k0")) == .claimed, "a key of the snapshot's log only")
        #expect(Self.claim(fromOtherLog, "k100", PayloadFactory.minimalV3("k100")) == .replay(offset: other["k100"]!, checkpoint: 0))
    }

    /// A snapshot taken while requests run covers exactly the records before its offset: it waits
    /// for the keys claimed before it (their records may lie before that offset) and not for
    /// keys claimed after it, and leaves out entries of records at or after the offset.
    @Test func aSnapshotWaitsOnlyForTheKeysClaimedBeforeIt() {
        let window = IdempotencyWindow()
        #expect(Self.claim(window, "before", "p") == .claimed)
        window.complete(key: "before", offset: LogOffset(0), checkpoint: nil, receivedAtMs: 1)
        #expect(Self.claim(window, "in flight", "p") == .claimed)
        let claims = window.claimsMade()
        #expect(Self.claim(window, "later", "p") == .claimed)
        #expect(window.entries(before: LogOffset(2), claimsBefore: claims) == nil, "the key claimed before may hold offset 1")
        window.complete(key: "in flight", offset: LogOffset(1), checkpoint: 7, receivedAtMs: 2)
        window.complete(key: "later", offset: LogOffset(2), checkpoint: nil, receivedAtMs: 3)
        let entries = window.entries(before: LogOffset(2), claimsBefore: claims).map { Array($0) }
        #expect(entries?.map(\.accepted.offset) == [LogOffset(0), LogOffset(1)], "the record at offset 2 is after the snapshot")
        #expect(entries?.last?.accepted.checkpoint == 7)
        #expect(Self.claim(window, "again", "p") == .claimed)
        #expect(window.entries(before: LogOffset(3), claimsBefore: claims) != nil, "a key claimed after the mark does not hold it up")
    }

    /// After a crash long after the last snapshot, the rebuild reads what it would read without
    /// one (the retention's records, here enough keys), not everything since the snapshot: the
    /// records in between are not read (one of them is damaged here) and the snapshot is not used.
    @Test func aSnapshotOlderThanTheRetentionIsNotRead() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = dir.file("log")
        let clock = Mutex<Int64>(1_000)
        var options = LogWriterOptions()
        options.clock = { clock.withLock { $0 } }
        options.segmentBytesMax = 1024
        options.indexIntervalBytes = 1
        func append(_ keys: Range<Int>, at time: Int64) async throws -> [String: LogOffset] {
            clock.withLock { $0 = time }
            let writer = try LogWriter.open(directory: log, options: options)
            var offsets: [String: LogOffset] = [:]
            for index in keys {
                let record = AppendRecord(version: 3, producerUID: 0, idempotencyKey: "k\(index)", payload: Array(PayloadFactory.minimalV3("k\(index)").utf8))
                offsets["k\(index)"] = try await writer.append([record])[0]
            }
            await writer.close()
            return offsets
        }
        func rebuild() throws -> IdempotencyWindow {
            try IdempotencyWindow.rebuild(from: log, nowMs: 100_000, limits: PayloadLimits(), retentionMs: 1_000, keysMin: 5)
        }
        _ = try await append(0..<5, at: 1_000)
        #expect(try rebuild().saveSnapshot(logPath: log, next: LogOffset(5)))
        let middle = try await append(5..<40, at: 2_000)
        let recent = try await append(40..<50, at: 99_500)
        let bases = try LogDirectory(path: log).segmentBases()
        let damagedBase = try #require(bases.last { $0 <= middle["k20"]! })
        #expect(damagedBase > LogOffset(5) && bases.contains { $0 > damagedBase && $0 <= middle["k39"]! }, "a whole segment between the snapshot and the retention")
        try Self.damage(LogDirectory(path: log).segmentPath(damagedBase))

        let window = try rebuild()
        #expect(window.origin?.snapshotNext == nil && window.origin!.readFrom > middle["k20"]!)
        Self.expectReplays(window, recent)
        #expect(Self.claim(window, "k1", PayloadFactory.minimalV3("k1")) == .claimed, "not in the window: older than the retention, beyond the minimum")
    }

    /// Entries keep their sequence numbers across chunk boundaries and drops, and a run taken
    /// before later appends and drops still reads the entries it was taken with.
    @Test func entriesAreAddressedBySequenceAcrossChunksAndDrops() {
        func entry(_ n: Int) -> IdempotencyEntry {
            let request = IdempotencyWindow.Request(version: 3, payload: Digest128(high: UInt64(n), low: 0))
            return IdempotencyEntry(key: Digest128(high: 0, low: UInt64(n)), accepted: .init(request, offset: LogOffset(UInt64(n)), checkpoint: nil, receivedAtMs: Int64(n)))
        }
        let chunk = IdempotencyEntries.chunkCapacity
        var entries = IdempotencyEntries()
        for n in 0..<(2 * chunk + 10) { #expect(entries.append(entry(n)) == n) }
        let run = entries.run((chunk - 2)..<(chunk + 2))
        for _ in 0..<(chunk + 5) { entries.dropFirst() }
        for n in (2 * chunk + 10)..<(3 * chunk) { entries.append(entry(n)) }
        #expect(entries.start == chunk + 5 && entries.count == 2 * chunk - 5)
        #expect(entries.first?.key.low == UInt64(chunk + 5) && entries[3 * chunk - 1].accepted.offset == LogOffset(UInt64(3 * chunk - 1)))
        #expect(run.map(\.key.low) == (UInt64(chunk - 2)..<UInt64(chunk + 2)).map { $0 }, "its chunks outlive the drops")
    }

    /// The window's key index against a dictionary: keys added (again after their entry was
    /// dropped, or while an older entry of theirs is still kept, as a rebuild does), oldest
    /// entries dropped, across growth and the removals' backward shifts.
    @Test func theKeyIndexFindsEachKeysLatestKeptEntry() {
        var storage = IdempotencyWindow.Storage()
        var model: [Digest128: Int] = [:]  // key → offset of its latest kept entry
        var generator = SystemRandomNumberGenerator()
        for step in 0..<60_000 {
            if step % 3 != 2 || storage.entries.count == 0 {
                let key = Digest128(high: 0, low: UInt64.random(in: 0..<4_000, using: &generator))  // small digests: the index must mix them
                let request = IdempotencyWindow.Request(version: UInt8(step % 3 + 1), payload: Digest128(high: 1, low: UInt64(step)))
                let checkpoint: Int64? = step % 2 == 0 ? Int64(step) : nil
                storage.add(IdempotencyEntry(key: key, accepted: .init(request, offset: LogOffset(UInt64(step)), checkpoint: checkpoint, receivedAtMs: 1)))
                model[key] = step
            } else {
                let oldest = storage.entries.first!
                if model[oldest.key] == Int(oldest.accepted.offset.rawValue) { model[oldest.key] = nil }
                storage.dropOldest()
            }
        }
        #expect(storage.index.count == model.count)
        for low in UInt64(0)..<4_000 {
            let key = Digest128(high: 0, low: low)
            let accepted = storage.accepted(key)
            #expect(accepted.map { Int($0.offset.rawValue) } == model[key])
            if let accepted, let step = model[key] {
                #expect(accepted.version == UInt8(step % 3 + 1) && accepted.checkpoint == (step % 2 == 0 ? Int64(step) : nil))
            }
        }
        #expect(MemoryLayout<IdempotencyEntry>.stride == 56)
    }
}
