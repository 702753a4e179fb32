import Foundation
import LogFormat
import LogStore
import SessionlogTestKit
import Synchronization
import Testing

@testable import Projections

/// The runtime's guarantees (SPEC §4): offset order, transactional checkpoints, exactly-once
/// resumption, deterministic results whatever the batch sizes, and a hard stop on a record it
/// cannot apply.
@Suite struct ProjectorRuntimeTests {
    @Test func aRecordThatCannotBeAppliedStopsTheProjectorNamingItsOffset() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([P.v3("s1", actions: [])])
        let writer = try LogWriter.open(directory: harness.logPath)
        _ = try await writer.append([AppendRecord(version: 3, producerUID: 0, payload: Array(#"{"v":3,"session_id":"broken"}"#.utf8))])
        await writer.close()
        try await harness.append([P.v3("s2", actions: [])])
        let path = harness.directory.file("sessions.db")
        await harness.expectRunFails(.sessions, path: path, batchRecords: 1, with: .unreadableRecord) { error in
            error.offset == LogOffset(1) && error.message.contains("offset 1")
        }
        let db = try SQLiteDatabase(path: path, readOnly: true)
        #expect(try db.one("SELECT next_offset FROM _checkpoint")["next_offset"] == .integer(1), "nothing after it was applied")
        #expect(try db.objects("SELECT session_id FROM sessions").map { $0["session_id"] } == [.text("s1")])
    }

    /// A projection whose checkpoint is past the log's end was built from another log (the log
    /// was restored from an older copy): following would fold other records under its offsets.
    @Test func aProjectionAheadOfTheLogIsRefused() async throws {
        let harness = try ProjectionHarness()
        try await harness.append((0..<5).map { P.v3("s\($0)", actions: []) })
        let path = harness.directory.file("sessions.db")
        try await harness.run(.sessions, path: path)
        try FileManager.default.removeItem(atPath: harness.logPath)  // an older copy of the log: 2 records
        try await harness.append([P.v3("t0", actions: []), P.v3("t1", actions: [])])
        await harness.expectRunFails(.sessions, path: path, with: .aheadOfLog) { error in
            error.message.contains("up to offset 5, but the log ends at 2") && error.message.contains("sessionlog rebuild sessions")
        }
        let db = try SQLiteDatabase(path: path, readOnly: true)
        #expect(try db.one("SELECT next_offset FROM _checkpoint")["next_offset"] == .integer(5), "nothing applied")
    }

    /// An auditor asking for the state at offset N must not get a database that is further on.
    @Test func aPointInTimeRunOnADatabasePastItsOffsetIsRefused() async throws {
        let harness = try ProjectionHarness()
        try await harness.append((0..<5).map { P.v3("s\($0)", actions: []) })
        let path = harness.directory.file("pages.db")
        try await harness.run(.pages, path: path, untilOffset: LogOffset(4))
        try await harness.run(.pages, path: path, untilOffset: LogOffset(4))  // already there: nothing to do
        await harness.expectRunFails(.pages, path: path, untilOffset: LogOffset(2), with: .pastUntilOffset) { error in
            error.message.contains("up to offset 4, past --until-offset 2") && error.message.contains("--db NEW.db")
        }
        let db = try SQLiteDatabase(path: path, readOnly: true)
        #expect(try db.one("SELECT next_offset FROM _checkpoint")["next_offset"] == .integer(4), "nothing changed")
    }

    /// A full disk fails the commit (naming the database and the checkpoint it keeps); once space
    /// returns, the next run resumes from that checkpoint to the same tables as a run that never failed.
    @Test func aFullDiskStopsTheProjectorAtItsLastCommitAndTheNextRunResumes() async throws {
        let harness = try ProjectionHarness()
        var traffic = TrafficGenerator(seed: 13)
        try await harness.append(traffic.records(3000))
        let reference = try await harness.project(.pages).dump()
        let disk = try SizeLimitedDisk(at: harness.directory.file("tmpfs"), kibibytes: 8192, free: 512)
        defer { disk.unmount() }
        let path = disk.path + "/pages.db"
        var failure: ProjectorError?
        do { try await harness.run(.pages, path: path, batchRecords: 100) } catch let error as ProjectorError { failure = error }
        let error = try #require(failure, "the pages of 3000 records do not fit in the 512 KiB left")
        let checkpoint = try SQLiteDatabase(path: path, readOnly: true).one("SELECT next_offset FROM _checkpoint")["next_offset"]
        #expect(error.code == .commitFailed && error.message.contains("cannot commit to \(path): database or disk is full"))
        #expect(checkpoint == .integer(Int64(error.offset?.rawValue ?? 0)) && checkpoint != .integer(0), "\(error.message)")

        try disk.makeRoom()
        try await harness.run(.pages, path: path, batchRecords: 100)
        #expect(try SQLiteDatabase(path: path, readOnly: true).dump() == reference)
    }

    /// A disk too full to create the database fails with `openFailed`, naming the file and the
    /// fix; once space returns, the next run builds the same tables as a run that never failed.
    /// With nothing free, opening the file fails; with 48 KiB free, SQLite opens it and the
    /// transaction creating the tables fails.
    @Test(arguments: [0, 48])
    func aDiskTooFullToCreateTheDatabaseIsNamedAndTheNextRunBuildsIt(kibibytesFree: Int) async throws {
        let harness = try ProjectionHarness()
        var traffic = TrafficGenerator(seed: 17)
        try await harness.append(traffic.records(200))
        let reference = try await harness.project(.sessions).dump()
        let disk = try SizeLimitedDisk(at: harness.directory.file("tmpfs"), kibibytes: 1024, free: kibibytesFree)
        defer { disk.unmount() }
        let path = disk.path + "/sessions.db"
        await harness.expectRunFails(.sessions, path: path, with: .openFailed) { error in
            error.message.hasPrefix("cannot open or create \(path): ") && error.message.contains("free disk space")
        }
        try disk.makeRoom()
        try await harness.run(.sessions, path: path)
        #expect(try SQLiteDatabase(path: path, readOnly: true).dump() == reference)
    }

    @Test func resumingFromTheCheckpointAppliesEveryRecordExactlyOnce() async throws {
        try await expectInterruptedBuildsFinishLikeOneRun(seed: 7) { harness, kind, path in
            for until in stride(from: 37, through: 300, by: 37) {
                try await harness.run(kind, path: path, funnels: TrafficGenerator.funnels, batchRecords: 5, untilOffset: LogOffset(UInt64(until)))
                let checkpoint = try SQLiteDatabase(path: path, readOnly: true).one("SELECT next_offset FROM _checkpoint")
                #expect(checkpoint["next_offset"] == .integer(Int64(until)))
            }
        }
    }

    /// For each projection, over 300 generated records: `interrupt` leaves a partial build at
    /// `path`, one more run finishes it, and the finished build must equal a build made in one
    /// run; `inspect` may then check more of it.
    private func expectInterruptedBuildsFinishLikeOneRun(
        seed: UInt64,
        interrupt: (_ harness: ProjectionHarness, _ kind: ProjectionKind, _ path: String) async throws -> Void,
        inspect: (ProjectionKind, SQLiteDatabase) throws -> Void = { _, _ in }
    ) async throws {
        let harness = try ProjectionHarness()
        var traffic = TrafficGenerator(seed: seed)
        try await harness.append(traffic.records(300))
        for kind in ProjectionKind.allCases {
            let whole = try await harness.project(kind, funnels: TrafficGenerator.funnels).dump()
            let path = harness.directory.file("\(kind)-interrupted.db")
            try await interrupt(harness, kind, path)
            try await harness.run(kind, path: path, funnels: TrafficGenerator.funnels)
            let db = try SQLiteDatabase(path: path, readOnly: true)
            #expect(try db.dump() == whole, "\(kind)")
            try inspect(kind, db)
        }
    }

    /// A cache of two folds is dropped after almost every commit, so nearly every record's session
    /// (and every renewal chain attribution follows) is read back from `_session_state`.
    @Test func theSameLogGivesIdenticalTablesWhateverTheBatchAndCacheSizes() async throws {
        let harness = try ProjectionHarness()
        var traffic = TrafficGenerator(seed: 11)
        try await harness.append(traffic.records(400), chunk: 7)
        let cached = ProjectorOptions().cacheSessions
        for kind in ProjectionKind.allCases {
            let reference = try await harness.project(kind, funnels: TrafficGenerator.funnels).dump()
            #expect(reference.split(separator: "\n").count > 20, "\(kind) has rows")
            for (batch, cache) in [(1, cached), (3, cached), (64, cached), (1, 2), (5, 2)] {
                let dump = try await harness.project(
                    kind, funnels: TrafficGenerator.funnels, batchRecords: batch, cacheSessions: cache
                ).dump()
                #expect(dump == reference, "\(kind) with batches of \(batch) and a cache of \(cache) sessions")
            }
        }
    }

    @Test func aDatabaseOfAnotherProjectionOrVersionIsRefused() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([P.v3("s1", actions: [])])
        let path = harness.directory.file("pages.db")
        try await harness.run(.pages, path: path, version: 1)
        await #expect { try await harness.run(.sessions, path: path) } throws: { ($0 as? ProjectorError)?.code == .wrongDatabase }
        await #expect { try await harness.run(.pages, path: path, version: 2) } throws: { ($0 as? ProjectorError)?.code == .wrongDatabase }
        try await harness.run(.pages, path: path)  // without a version: the database's own
        await #expect { try await harness.run(.pages, path: harness.directory.file("other.db"), version: 7) } throws: {
            ($0 as? ProjectorError)?.message == "pages has no version 7; this build knows v1, v2"
        }
    }

    @Test func twoProjectorsCannotWriteOneDatabase() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([P.v3("s1", actions: [])])
        let path = harness.directory.file("pages.db")
        let first = try Projector(kind: .pages, logDirectory: harness.logPath, databasePath: path)
        #expect(first.nextOffset == .zero)
        #expect { _ = try Projector(kind: .pages, logDirectory: harness.logPath, databasePath: path) } throws: {
            ($0 as? ProjectorError)?.code == .busy
        }
    }

    @Test func sessionStateRoundTripsThroughItsCodec() async throws {
        var traffic = TrafficGenerator(seed: 3)
        let harness = try ProjectionHarness()
        try await harness.append(traffic.records(200))
        let db = try await harness.project(.sessions)
        let select = try db.statement("SELECT session_id, state FROM _session_state")
        var count = 0
        while try select.step() {
            guard case .text(let id) = select.value(at: 0) else { continue }
            let bytes = select.blob(at: 1)
            let state = try SessionStateCodec.decode(bytes, sessionID: id)
            #expect(SessionStateCodec.encode(state) == bytes)
            count += 1
        }
        #expect(count > 10)
        #expect(throws: StateDecodingError.self) { try SessionStateCodec.decode([SessionStateCodec.formatVersion, 5], sessionID: "x") }
    }

    /// Folds lie in the order their sessions first reached a commit, and a later update leaves a
    /// fold where it is: the states a commit at the tail rewrites share the table's last pages.
    @Test func sessionStatesLieInTheOrderTheirSessionsFirstAppeared() async throws {
        var traffic = TrafficGenerator(seed: 5)
        let lines = traffic.records(300)
        let harness = try ProjectionHarness()
        try await harness.append(lines, chunk: 1)  // a log batch, and so a commit, per record
        var firstSeen: [String] = []
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let session = try #require(object["session_id"] as? String)
            if !firstSeen.contains(session) { firstSeen.append(session) }
        }
        #expect(firstSeen.count < lines.count / 2, "most sessions are updated after they are first stored")
        let db = try await harness.project(.sessions, batchRecords: 1)
        let stored = try db.objects("SELECT session_id FROM _session_state ORDER BY rowid").map { $0["session_id"] }
        #expect(stored == firstSeen.map { .text($0) })
    }

    /// A database whose folds are keyed by session id (`WITHOUT ROWID`, the layout before folds
    /// were stored in order) is continued as it is, to the same tables as an uninterrupted run.
    @Test func aDatabaseWithFoldsKeyedBySessionIDIsContinued() async throws {
        let keyedTable =
            "CREATE TABLE _session_state (session_id TEXT NOT NULL PRIMARY KEY, renewed_from TEXT, state BLOB NOT NULL)"
            + " WITHOUT ROWID"
        try await expectInterruptedBuildsFinishLikeOneRun(seed: 9) { harness, kind, path in
            try await harness.run(kind, path: path, funnels: TrafficGenerator.funnels, untilOffset: LogOffset(150))
            try SQLiteDatabase(path: path).execute(
                """
                ALTER TABLE _session_state RENAME TO rowid_states;
                DROP INDEX _session_state_by_renewed_from;
                \(keyedTable);
                INSERT INTO _session_state SELECT * FROM rowid_states;
                DROP TABLE rowid_states;
                CREATE INDEX _session_state_by_renewed_from ON _session_state (renewed_from)
                    WHERE renewed_from IS NOT NULL;
                """)
        } inspect: { kind, db in
            let layout = try db.one("SELECT sql FROM sqlite_master WHERE name = '_session_state'")["sql"]
            #expect(layout == .text(keyedTable), "\(kind): the table is kept as it was")
        }
    }

    /// At the tail, a steady stream of log commits is applied in one transaction per
    /// `tailIntervalMs`, not one per log commit.
    @Test(arguments: [0, 2_000]) func atTheTailAStreamIsAppliedOncePerInterval(intervalMs: Int) async throws {
        let harness = try ProjectionHarness()
        try await harness.append([P.v3("s0", actions: [])])
        var options = ProjectorOptions()
        options.tailIntervalMs = intervalMs
        let projector = try Projector(
            kind: .sessions, logDirectory: harness.logPath, databasePath: harness.directory.file("sessions.db"), options: options)
        let reached = Mutex(LogOffset.zero)
        let appendedAt = Mutex<ContinuousClock.Instant?>(nil)
        let appending = Task {
            defer { appendedAt.withLock { $0 = .now } }
            try await Task.sleep(for: .milliseconds(300))  // the projector has caught up and waits at the tail
            let writer = try LogWriter.open(directory: harness.logPath)
            for index in 1...20 {  // twenty log commits, 50 ms apart: each wakes the projector
                _ = try await writer.append([ProjectionHarness.record(P.v3("s\(index)", actions: []))])
                try await Task.sleep(for: .milliseconds(50))
            }
            await writer.close()
        }
        // Gives up 60 s after the last append (a projector that missed it), however long a loaded
        // machine takes to make the appends.
        let gaveUp: @Sendable () -> Bool = {
            appendedAt.withLock { $0.map { ContinuousClock.now > $0 + .seconds(60) } ?? false }
        }
        var commits: [(offset: LogOffset, at: ContinuousClock.Instant)] = []
        try await projector.run(shouldStop: { reached.withLock { $0 } == LogOffset(21) || gaveUp() }) { progress in
            reached.withLock { $0 = progress.nextOffset }
            if commits.last?.offset != progress.nextOffset { commits.append((progress.nextOffset, .now)) }
        }
        try await appending.value
        #expect(commits.last?.offset == LogOffset(21), "every record is applied")
        if intervalMs == 0 {
            #expect(commits.count >= 6, "without an interval, each wake-up commits: \(commits.map(\.offset))")
        } else {
            // The catch-up, then at most one commit per interval, however long the stream takes
            // on a loaded machine.
            #expect(commits.count >= 2 && commits.count < 20, "\(commits.map(\.offset))")
            for (earlier, later) in zip(commits, commits.dropFirst()) {
                #expect(later.at - earlier.at >= .milliseconds(intervalMs - 10), "commits at \(earlier.offset) and \(later.offset)")
            }
        }
    }

    /// Rows are upserted: a row equal to the stored one is not written (no page of the database
    /// is dirtied for a session's unchanged rows), a changed one replaces it.
    @Test func aRowEqualToTheStoredOneIsNotWritten() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([P.v3("s0", actions: [])])  // a session without pages
        let db = try await harness.project(.pages)
        let writable = try SQLiteDatabase(path: db.path)
        let pages = try TableSet(database: writable).table("pages", columns: PagesProjection.columns)
        let row: [SQLValue] = [.text("site"), .text("s1"), .integer(1), .text("/"), .null, .null, .integer(5), .null, .null, .integer(0)]
        let changes = { () throws -> SQLValue in try writable.one("SELECT total_changes() AS n")["n"]! }
        try pages.replace(row)
        #expect(try changes() == .integer(1))
        try pages.replace(row)
        #expect(try changes() == .integer(1), "the same row again writes nothing")
        var later = row
        later[7] = .integer(900)
        try pages.replace(later)
        #expect(try changes() == .integer(2))
        #expect(try writable.objects("SELECT duration_ms FROM pages").map { $0["duration_ms"] } == [.integer(900)])
    }
}
