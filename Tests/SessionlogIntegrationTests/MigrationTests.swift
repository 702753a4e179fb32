import Foundation
import SessionlogTestKit
import Testing

/// SPEC §5 end to end with the real binary: the V3 change as a blue/green rebuild under traffic,
/// rollback, kill -9 during a rebuild, a changed funnels.json, and `up`.
@Suite(.serialized, .blocking) struct MigrationTests {
    static func current(_ directory: TemporaryDirectory, _ kind: String) -> String? {
        FileManager.default.contents(atPath: directory.file("projections/\(kind)/CURRENT")).map {
            String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    static func checkpoint(_ path: String) throws -> Int64 {
        Int64(try ProjectionCheckpoint.read(SQLiteDatabase(path: path, readOnly: true)).nextOffset.rawValue)
    }

    static func waitForSocket(_ path: String) -> Bool {
        eventually { FileManager.default.fileExists(atPath: path) }
    }

    /// `sessionlog up` on a fresh data directory, its ingress listening on `socket` (the
    /// directory's `ingress.sock`, or `socketName` in it, passed as `--socket`). When released,
    /// `up` is killed (SIGKILL) and the directory removed.
    final class RunningUp {
        let directory: TemporaryDirectory
        let cli: CLI
        let process: ChildProcess
        let socket: String

        init(socketName: String? = nil, _ arguments: [String] = []) throws {
            directory = try TemporaryDirectory()
            cli = CLI(data: directory.path)
            socket = directory.file(socketName ?? "ingress.sock")
            process = try cli.spawn(["up"] + (socketName == nil ? [] : ["--socket", socket]) + arguments)
            try #require(MigrationTests.waitForSocket(socket), "\(process.stderrSoFar)")
        }

        deinit {
            process.kill(SIGKILL)
            directory.remove()
        }
    }

    @Test func theV3ChangeIsABlueGreenRebuildUnderTraffic() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cli = CLI(data: directory.path)
        let traffic = try ProjectorProcessTests.traffic(3000, seed: 21, in: directory)
        // Before the V3 change: v1 projections, live.
        for kind in ["pages", "sessions"] {
            try cli.succeed(["rebuild", kind, "--version", "1"])
            #expect(Self.current(directory, kind) == "v1")
        }
        // status names the rebuild to each latest version.
        let status = try cli.succeed(["status"]).stdoutText
        #expect(status.contains("sessions: v3 is the latest schema version; `sessionlog rebuild sessions --version 3 --verify` builds it beside v1"), "\(status)")
        #expect(status.contains("pages: v2 is the latest schema version"), "\(status)")
        let statusJSON = try jsonObject(try cli.succeed(["status", "--format", "json"]).stdoutText)
        let latest = (statusJSON["projections"] as? [[String: Any]])?.map { "\($0["projection"]!)=\($0["latest_version"]!)" }
        #expect(latest == ["pages=2", "sessions=3", "funnels=1", "attribution=1"])
        let ingress = try cli.spawn(["ingress"])
        defer { ingress.kill(SIGKILL) }
        try #require(Self.waitForSocket(directory.file("ingress.sock")))
        let pages = try cli.spawn(["project", "pages"])
        let sessions = try cli.spawn(["project", "sessions"])
        defer {
            pages.kill(SIGKILL)
            sessions.kill(SIGKILL)
        }
        let sender = try cli.spawn(["send", traffic, "--connections", "1", "--batch-lines", "8"])
        // While traffic continues: rebuild both to v2, verifying the overlapping columns.
        for kind in ["pages", "sessions"] {
            let rebuild = try cli.succeed(["rebuild", kind, "--version", "2", "--verify"])
            #expect(rebuild.stderr.contains("verified at offset"), "\(rebuild.stderr)")
            #expect(Self.current(directory, kind) == "v2")
            #expect(FileManager.default.fileExists(atPath: directory.file("projections/\(kind)/v1.db")), "the old build stays")
        }
        #expect(sender.wait().status == 0)
        let end = Int64(3000)
        #expect(try eventually { try Self.checkpoint(directory.file("projections/sessions/v2.db")) == end && Self.checkpoint(directory.file("projections/pages/v2.db")) == end })
        // The rebuild may reach the end before the live projector looks at CURRENT again.
        #expect(eventually(seconds: 10) { sessions.stderrSoFar.contains("CURRENT now names v2") }, "the live projector switched without a restart")
        // v2 equals a fresh v2 build at the same offset, and the V3 columns are filled.
        for kind in ["pages", "sessions"] {
            let fresh = directory.file("fresh-\(kind).db")
            try cli.succeed(["project", kind, "--db", fresh, "--schema-version", "2", "--until-offset", "\(end)", "--once"])
            let live = try SQLiteDatabase(path: directory.file("projections/\(kind)/v2.db"), readOnly: true)
            #expect(try live.dump() == SQLiteDatabase(path: fresh, readOnly: true).dump(), "\(kind)")
        }
        let live = try SQLiteDatabase(path: directory.file("projections/sessions/v2.db"), readOnly: true)
        let filled = try live.rows("SELECT count(segment_id), sum(goal_count), count(*) FROM sessions").rows[0]
        #expect(filled[0] != .integer(0) && filled[1] != .integer(0), "segment_id and goals reach the sessions table: \(filled)")

        // sessions v3 changes only the table's layout (a rowid table): a verified rebuild, the
        // same rows.
        let v3 = try cli.succeed(["rebuild", "sessions", "--version", "3", "--verify"])
        #expect(v3.stderr.contains("verified at offset \(end)"), "\(v3.stderr)")
        #expect(eventually(seconds: 10) { sessions.stderrSoFar.contains("CURRENT now names v3") })
        let layout = try SQLiteDatabase(path: directory.file("projections/sessions/v3.db"), readOnly: true)
        let tableSQL = { (database: SQLiteDatabase) in
            "\(try database.rows("SELECT sql FROM sqlite_master WHERE name = 'sessions'").rows[0][0])"
        }
        let (v2Table, v3Table) = (try tableSQL(live), try tableSQL(layout))
        #expect(v2Table.hasSuffix("WITHOUT ROWID") && !v3Table.contains("WITHOUT ROWID"), "\(v3Table)")
        #expect(try layout.dump() == live.dump())
        #expect(try !cli.succeed(["status"]).stdoutText.contains("sessions: v3 is the latest"), "no note once v3 is live")

        // Rollback returns to the previous build, and the live projector follows it again.
        try cli.succeed(["rollback", "sessions"])
        #expect(Self.current(directory, "sessions") == "v2")
        try cli.succeed(["rollback", "pages"])
        #expect(Self.current(directory, "pages") == "v1")
        #expect(try eventually { try Self.checkpoint(directory.file("projections/pages/v1.db")) == end })
        let v1Rows = try cli.succeed(["query", "pages", "--limit", "1", "--format", "json"]).stdoutLines
        #expect(try jsonObject(v1Rows[0])["scroll"] == nil, "pages v1 has no scroll column")
    }

    @Test func killingARebuildLeavesTheLiveBuildServingAndTheNextRebuildFinishes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cli = CLI(data: directory.path)
        try cli.succeed(["import", try ProjectorProcessTests.traffic(6000, seed: 8, in: directory)])
        try cli.succeed(["project", "sessions", "--once"])
        let live = directory.file("projections/sessions/v3.db")
        let before = try SQLiteDatabase(path: live, readOnly: true).dump()
        var generator = PayloadFactory(seed: 5)
        var kills = 0
        // A rebuild the kill does not outrun finishes (a v1 build, then v1-2, …): CURRENT then
        // names that build, which must be whole. It never names a half-built one.
        for _ in 0..<8 {
            let rebuild = try cli.spawn(["rebuild", "sessions", "--version", "1"])
            usleep(UInt32(30_000 + generator.next(300_000)))
            rebuild.kill(SIGKILL)
            if rebuild.wait().status != 0 { kills += 1 }
            let current = try #require(Self.current(directory, "sessions"))
            if current == "v3" {
                #expect(try SQLiteDatabase(path: live, readOnly: true).dump() == before, "the live build is untouched")
            } else {
                #expect(current == "v1" || current.hasPrefix("v1-"), "CURRENT names v3 or a v1 build: \(current)")
                #expect(try Self.checkpoint(directory.file("projections/sessions/\(current).db")) == 6000, "\(current) is a finished build")
            }
            #expect(try cli.run(["query", "sessions", "--limit", "1"]).status == 0)
        }
        #expect(kills > 0)
        try cli.succeed(["rebuild", "sessions", "--version", "1"])
        let rebuilt = try #require(Self.current(directory, "sessions"))
        #expect(rebuilt == "v1" || rebuilt.hasPrefix("v1-"))
        let fresh = directory.file("fresh.db")
        try cli.succeed(["project", "sessions", "--db", fresh, "--schema-version", "1", "--once"])
        #expect(try SQLiteDatabase(path: directory.file("projections/sessions/\(rebuilt).db"), readOnly: true).dump() == SQLiteDatabase(path: fresh, readOnly: true).dump())
    }

    /// A rebuild resumes only the build an interrupted rebuild was writing: going back to a
    /// version whose build is the rollback target builds a new generation from offset 0 (after a
    /// fix in the fold, reusing the old file would keep its rows), and builds a rollback can no
    /// longer reach are removed.
    @Test func aRebuildStartsFromOffsetZeroAndNeverWritesTheRollbackTarget() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cli = CLI(data: directory.path)
        try cli.succeed(["import", try ProjectorProcessTests.traffic(400, seed: 9, in: directory)])
        let builds = { try Set(FileManager.default.contentsOfDirectory(atPath: directory.file("projections/sessions")).filter { $0.hasSuffix(".db") }) }
        try cli.succeed(["rebuild", "sessions", "--version", "2"])
        try cli.succeed(["rebuild", "sessions", "--version", "1"])
        let target = directory.file("projections/sessions/v2.db")
        let rollbackTarget = try SQLiteDatabase(path: target, readOnly: true).dump()

        let again = try cli.succeed(["rebuild", "sessions", "--version", "2"])
        #expect(again.stderr.contains("building v2-2 into \(directory.file("projections/sessions/v2-2.db")) from offset 0"), "\(again.stderr)")
        #expect(Self.current(directory, "sessions") == "v2-2")
        #expect(try SQLiteDatabase(path: directory.file("projections/sessions/v2-2.db"), readOnly: true).dump() == rollbackTarget)
        #expect(again.stderr.contains("removed v2.db"), "v2 is neither CURRENT nor PREVIOUS now")
        #expect(try builds() == ["v1.db", "v2-2.db"])
        try cli.succeed(["rollback", "sessions"])
        #expect(Self.current(directory, "sessions") == "v1")
    }

    @Test func aChangedFunnelsFileIsDetectedAndRebuildFixesIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cli = CLI(data: directory.path)
        try cli.succeed(["import", try ProjectorProcessTests.traffic(500, seed: 2, in: directory)])
        let funnels = directory.file("funnels.json")
        try FileManager.default.copyItem(atPath: ProjectorProcessTests.funnels, toPath: funnels)
        let follower = try cli.spawn(["project", "funnels"])
        defer { follower.kill(SIGKILL) }
        #expect(eventually { follower.stderrSoFar.contains("caught up") })
        let edited = try String(contentsOfFile: funnels, encoding: .utf8).replacingOccurrences(of: "\"Landing\"", with: "\"Home\"")
        try edited.write(toFile: funnels, atomically: true, encoding: .utf8)
        let stopped = follower.wait()
        #expect(stopped.status != 0 && stopped.stderr.contains("funnels.json changed"), "a running projector stops too: \(stopped.stderr)")
        let refused = try cli.run(["project", "funnels", "--once"])
        #expect(refused.status != 0 && refused.stderr.contains("sessionlog rebuild funnels"), "\(refused.stderr)")
        let rebuilt = try cli.succeed(["rebuild", "funnels"])
        #expect(Self.current(directory, "funnels") == "v1-2", "\(rebuilt.stderr)")
        try cli.succeed(["project", "funnels", "--once"])
        #expect(try cli.succeed(["query", "funnels", "--format", "csv"]).stdoutText.contains("checkout,1,Home,"))
        try cli.succeed(["rollback", "funnels"])
        #expect(Self.current(directory, "funnels") == "v1")
    }

    @Test func upRunsEverythingAndStopsCleanly() throws {
        let up = try RunningUp()
        try up.cli.succeed(["send", try ProjectorProcessTests.traffic(400, seed: 3, in: up.directory)])
        let caughtUp = try eventually {
            let status = try jsonObject(try up.cli.succeed(["status", "--format", "json"]).stdoutText)
            let projections = status["projections"] as? [[String: Any]] ?? []
            return projections.count == 4 && projections.allSatisfy { $0["next_offset"] as? Int == 400 }
        }
        #expect(caughtUp, "\(up.process.stderrSoFar)")
        for kind in ["ingress", "pages", "sessions", "funnels", "attribution"] {
            #expect(up.process.stderrSoFar.contains("[\(kind)]"), "output prefixed with the child's name")
        }
        up.process.kill(SIGTERM)
        #expect(up.process.wait().status == 0)
        // Every child is gone: the log's writer lock and the projections' locks are free.
        try up.cli.succeed(["import", "-"], input: ndjson([PayloadFactory.minimalV3("after-up")]))
        try up.cli.succeed(["project", "all", "--once"])
    }

    /// A child that dies (here by SIGKILL) is started again after its backoff, and `up` still
    /// stops cleanly.
    @Test func upRestartsAChildThatDies() throws {
        let up = try RunningUp()
        /// The ingress's and the pages projector's pids, as `status` finds them by their locks.
        func pids() throws -> [Int?] {
            let status = try jsonObject(try up.cli.succeed(["status", "--format", "json"]).stdoutText)
            let pages = (status["projections"] as? [[String: Any]])?.first { $0["projection"] as? String == "pages" }
            return [(status["log"] as? [String: Any])?["writer_pid"] as? Int, pages?["projector_pid"] as? Int]
        }
        var first: [Int?] = []
        try #require(try eventually { first = try pids(); return !first.contains(nil) }, "\(up.process.stderrSoFar)")
        for pid in first { kill(pid_t(pid!), SIGKILL) }
        let restarting = eventually {
            ["ingress", "pages"].allSatisfy { up.process.stderrSoFar.contains("[\($0)] exited with status 137; restarting in 500 ms") }
        }
        #expect(restarting, "\(up.process.stderrSoFar)")
        let restarted = try eventually {
            let now = try pids()
            return !now.contains(nil) && now[0] != first[0] && now[1] != first[1]
        }
        #expect(restarted, "new processes hold the log and the pages projection: \(up.process.stderrSoFar)")
        #expect(eventually { (try? UnixHTTPClient(socketPath: up.socket).call("GET", "/health"))?.status == 200 }, "the new ingress answers")
        up.process.kill(SIGTERM)
        #expect(up.process.wait().status == 0)
    }

    @Test func upHandsItsIngressOptionsToTheIngress() throws {
        let up = try RunningUp(socketName: "producers.sock", ["--max-body", "100"])
        #expect(up.process.stderrSoFar.contains("[up] ingress on \(up.socket);"), "\(up.process.stderrSoFar)")
        let client = try UnixHTTPClient(socketPath: up.socket)
        #expect(try client.call("POST", "/v3/session", body: PayloadFactory.minimalV3(String(repeating: "x", count: 100))).status == 413)
        up.process.kill(SIGTERM)
        #expect(up.process.wait().status == 0)
    }

    @Test func upKilledWithSIGKILLTakesItsChildrenWithIt() throws {
        let up = try RunningUp()
        try #require(eventually { up.process.stderrSoFar.components(separatedBy: "caught up").count == 5 }, "\(up.process.stderrSoFar)")
        up.process.kill(SIGKILL)
        _ = up.process.wait()
        // Each child stops as on SIGTERM: the ingress drains and removes its socket, and every
        // lock comes free. (Before the lifeline they ran on, holding the locks.)
        #expect(eventually(seconds: 10) { !FileManager.default.fileExists(atPath: up.socket) }, "the ingress stopped cleanly")
        let freed = try eventually(seconds: 10) {
            try up.cli.run(["import", "-"], input: ndjson([PayloadFactory.minimalV3("after-kill")])).status == 0
                && up.cli.run(["project", "all", "--once"]).status == 0
        }
        #expect(freed, "the log's and the projections' locks are free")
    }
}
