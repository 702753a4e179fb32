import Foundation
import SessionlogTestKit
import Testing

/// Projectors as users run them: real processes over a real log, `kill -9` at random points,
/// following an importer, and the query/status commands.
@Suite(.serialized, .blocking) struct ProjectorProcessTests {
    /// Realistic traffic from Tools/gen_traffic.py (valid payloads only).
    static func traffic(_ count: Int, seed: Int, in directory: TemporaryDirectory, name: String = "traffic.ndjson") throws -> String {
        let path = directory.file(name)
        let result = try PythonTool("gen_traffic.py").run(
            ["--payloads", String(count), "--seed", String(seed), "--invalid-share", "0"])
        try #require(result.status == 0, "gen_traffic.py: \(result.stderr)")
        try #require(FileManager.default.createFile(atPath: path, contents: Data(result.stdout)), "cannot write \(path)")
        return path
    }

    static let funnels = RepositoryFile.path("Schemas/funnels.example.json")

    @Test func killedAtRandomPointsAProjectorResumesToIdenticalTables() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cli = CLI(data: directory.path)
        try cli.succeed(["import", try Self.traffic(4000, seed: 5, in: directory)])
        var generator = PayloadFactory(seed: 99)
        var kills = 0
        for kind in ["pages", "sessions", "funnels", "attribution"] {
            let reference = directory.file("\(kind)-reference.db")
            try cli.succeed(["project", kind, "--once", "--db", reference, "--funnels", Self.funnels])
            let crashed = directory.file("\(kind)-crashed.db")
            var finished = false
            var attempts = 0
            var kindKills = 0
            var earlyWindow = 150_000  // µs after the first 20 ms in which an early attempt is killed
            while !finished {
                attempts += 1
                try #require(attempts < 200, "\(kind) never finished")
                // A small cache: folds are also dropped and read back between the kills.
                let child = try cli.spawn([
                    "project", kind, "--once", "--db", crashed, "--batch-records", "7", "--cache-sessions", "50",
                    "--funnels", Self.funnels,
                ])
                // The first five kills of each kind land at random points; later attempts may run to the end.
                let early = kindKills < 5
                usleep(UInt32(20_000 + generator.next(early ? earlyWindow : 400_000)))
                if child.process.isRunning {
                    child.kill(SIGKILL)
                    if child.wait().status != 0 { kills += 1; kindKills += 1 }
                } else {
                    let result = child.wait()
                    #expect(result.status == 0, "\(result.stderr)")
                    if early {  // it outran the kill (a fast machine): start this kind over, killing sooner
                        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: crashed + suffix) }
                        earlyWindow = max(5_000, earlyWindow / 2)
                    } else {
                        finished = result.status == 0
                    }
                }
            }
            let expected = try SQLiteDatabase(path: reference, readOnly: true).dump()
            #expect(try SQLiteDatabase(path: crashed, readOnly: true).dump() == expected, "\(kind) after kill -9")
        }
        #expect(kills >= 20, "only \(kills) kills landed")
    }

    @Test func aFollowingProjectorShowsRowsWhileAnImporterAppends() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cli = CLI(data: directory.path)
        let follower = try cli.spawn(["project", "sessions"])
        defer { follower.kill(SIGKILL) }
        for round in 0..<3 {
            let tag = "follow-\(round)"
            let payload = #"{"v":3,"session_id":"\#(tag)","user_id":"u-1","site_id":"shop","sent_at":1762000000000,"actions":[]}"#
            try cli.succeed(["import", "-"], input: ndjson([payload]))
            let visible = try eventually {
                let result = try cli.run(["query", "sessions", "--format", "json"])
                return result.status == 0 && result.stdoutText.contains(tag)
            }
            #expect(visible, "round \(round): \(follower.stderrSoFar)")
        }
        let status = try jsonObject(try cli.succeed(["status", "--format", "json"]).stdoutText)
        let projections = try #require(status["projections"] as? [[String: Any]])
        let sessions = try #require(projections.first { $0["projection"] as? String == "sessions" })
        #expect(sessions["build"] as? String == "v3", "a new projection gets its latest version")
        #expect(sessions["projector_pid"] as? Int == Int(follower.pid), "status names the process following")
        #expect(projections.first { $0["projection"] as? String == "pages" }?["projector_pid"] is NSNull)
        #expect((status["log"] as? [String: Any])?["writer_pid"] is NSNull, "no ingress holds the log")
        follower.kill(SIGTERM)
        #expect(follower.wait().status == 0, "SIGTERM: commit and exit 0")
        let stopped = try jsonObject(try cli.succeed(["status", "--format", "json"]).stdoutText)["projections"] as? [[String: Any]]
        #expect(stopped?.first { $0["projection"] as? String == "sessions" }?["projector_pid"] is NSNull)
    }

    /// An edited funnels.json stops the funnels projector until a rebuild: status says so (and
    /// fails, for monitoring), and names a rebuild that was interrupted and how to resume it.
    @Test func statusNamesAChangedDefinitionAndAnInterruptedRebuild() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cli = CLI(data: directory.path)
        try cli.succeed(["import", try Self.traffic(100, seed: 4, in: directory)])
        try FileManager.default.copyItem(atPath: Self.funnels, toPath: directory.file("funnels.json"))
        try cli.succeed(["project", "funnels", "--once"])
        #expect(try cli.run(["status"]).status == 0)

        try Data(#"{"funnels":[{"name":"home","steps":[{"name":"Home","page":"/"}]}]}"#.utf8).write(to: URL(fileURLWithPath: directory.file("funnels.json")))
        let changed = try cli.run(["status"])
        #expect(changed.status == 1 && changed.stderr.contains("funnels.json changed since \(directory.file("projections/funnels/v1.db")) was built"))
        #expect(changed.stderr.contains("Run `sessionlog rebuild funnels`") && changed.stdoutText.contains("funnels      v1"), "\(changed.stderr)")
        let json = try jsonObject(try cli.run(["status", "--format", "json"]).stdoutText)["projections"] as? [[String: Any]]
        #expect(json?.first { $0["projection"] as? String == "funnels" }?["changed_definition"] as? String == "funnels.json")

        try Data(#"{"funnels":[{"name":"home","steps":[]}]}"#.utf8).write(to: URL(fileURLWithPath: directory.file("funnels.json")))
        let invalid = try cli.run(["status"])
        #expect(invalid.status == 1 && invalid.stdoutText.contains("funnels      v1"), "the rest is still shown")
        #expect(invalid.stderr.contains("funnels.json at funnels[0].steps: expected a non-empty array; the funnels projector will not start"), "\(invalid.stderr)")
        try Data(#"{"funnels":[{"name":"home","steps":[{"name":"Home","page":"/"}]}]}"#.utf8).write(to: URL(fileURLWithPath: directory.file("funnels.json")))

        // What a rebuild killed before its database existed leaves behind.
        try Data("v1-2\n".utf8).write(to: URL(fileURLWithPath: directory.file("projections/funnels/REBUILDING")))
        let interrupted = try cli.run(["status"])
        #expect(interrupted.stdoutText.contains("funnels: a rebuild of v1-2 was interrupted; `sessionlog rebuild funnels` resumes it"), "\(interrupted.stdoutText)")
        try cli.succeed(["rebuild", "funnels"])
        let rebuilt = try cli.run(["status"])
        #expect(rebuilt.status == 0 && rebuilt.stderr.isEmpty && !rebuilt.stdoutText.contains("rebuild"), "\(rebuilt.stdoutText)\(rebuilt.stderr)")
    }

    @Test func projectAllRunsFourProcessesAndQueryPrintsEveryFormat() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cli = CLI(data: directory.path)
        try cli.succeed(["import", try Self.traffic(600, seed: 9, in: directory)])
        try FileManager.default.copyItem(atPath: Self.funnels, toPath: directory.file("funnels.json"))
        let all = try cli.succeed(["project", "all", "--once"])
        for kind in ["pages", "sessions", "funnels", "attribution"] {
            #expect(all.stderr.contains("[\(kind)] \(kind): caught up at offset 600"), "\(all.stderr)")
            #expect(FileManager.default.contents(atPath: directory.file("projections/\(kind)/CURRENT")) != nil)
        }
        let status = try jsonObject(try cli.succeed(["status", "--format", "json"]).stdoutText)
        for projection in try #require(status["projections"] as? [[String: Any]]) {
            #expect(projection["next_offset"] as? Int == 600 && projection["lag_records"] as? Int == 0)
        }
        let funnels = try cli.succeed(["query", "funnels", "--format", "csv"])
        #expect(funnels.stdoutText.hasPrefix("funnel,step_index,step_name,sessions,conversion_rate,drop_off_rate\r\n"))
        #expect(funnels.stdoutText.contains("checkout,1,Landing,"))
        #expect(funnels.stderr.isEmpty, "\(funnels.stderr)")
        let json = try cli.succeed(["query", "attribution", "--site", "shop", "--format", "json"]).stdoutLines
        #expect(!json.isEmpty)
        for line in json { #expect(try jsonObject(line)["site_id"] as? String == "shop") }
        let table = try cli.succeed(["query", "sessions", "--limit", "3"]).stdoutLines
        #expect(table.count == 4 && table[0].hasPrefix("session_id"))
        let detail = try cli.succeed(["query", "attribution", "--table", "attribution", "--limit", "1", "--format", "json"]).stdoutLines
        #expect(try jsonObject(detail[0])["first_channel"] is String)

        try FileManager.default.createDirectory(atPath: directory.file("empty"), withIntermediateDirectories: false)
        let missing = try CLI(data: directory.file("empty")).run(["query", "pages"])
        #expect(missing.status != 0 && missing.stderr.contains("sessionlog project pages"))
        let wrongTable = try cli.run(["query", "pages", "--table", "sessions"])
        #expect(wrongTable.status != 0 && wrongTable.stderr.contains("pages has only the table pages, not sessions"))
        let wrongDetail = try cli.run(["query", "funnels", "--table", "pages"])
        #expect(wrongDetail.status != 0 && wrongDetail.stderr.contains("funnels has the tables funnel_steps and funnel_sessions, not pages"))
    }

    /// A title with a newline, a tab or a C1 control (NEL) keeps the table one line per row, and
    /// columns stay aligned under cells of other lengths and non-ASCII text; csv and json carry
    /// the title as sent.
    @Test func queryTablesEscapeControlCharactersThatCsvAndJsonKeep() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cli = CLI(data: directory.path)
        let payload =
            #"{"v":3,"session_id":"s1","user_id":"u1","site_id":"x","sent_at":1750000000000,"actions":[{"type":"pageview","page_number":1,"#
            + #""path":"/a","title":"said \"hi\",\tthen\nleft","entered_at":1750000000000,"duration_ms":5,"final":true},"#
            + #"{"type":"pageview","page_number":2,"path":"/caf\u00e9/menu","title":"next\u0085line","entered_at":1750000000005,"final":true}]}"#
        try cli.succeed(["import", "-"], input: ndjson([payload]))
        try cli.succeed(["project", "pages", "--once"])
        let table = try cli.succeed(["query", "pages"]).stdoutLines
        #expect(table.count == 3 && table[1].contains(#"said "hi",\tthen\nleft"#) && table[2].contains(#"next\u{85}line"#), "\(table)")
        // The column after path ("/a", "/café/menu") starts at the same character in both rows.
        let nextColumn = table.dropFirst().map { line -> Int in
            let characters = Array(line)
            let path = characters.firstIndex(of: "/")!
            let gap = characters[path...].firstIndex(of: " ")!
            return characters[gap...].firstIndex { $0 != " " }!
        }
        #expect(Set(nextColumn).count == 1, "\(table)")
        let csv = try cli.succeed(["query", "pages", "--format", "csv"]).stdoutText
        #expect(csv.contains("\"said \"\"hi\"\",\tthen\nleft\""))
        let json = try cli.succeed(["query", "pages", "--format", "json"]).stdoutText
        #expect(json.contains(#""title":"said \"hi\",\tthen\nleft""#))
    }

    /// A live build that is no longer a database (overwritten, truncated to garbage): status
    /// fails naming it, query and the projector refuse with the command that fixes it, rollback
    /// will not switch to it, and a rebuild does fix it.
    @Test func aDamagedBuildIsReportedAndRebuildReplacesIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cli = CLI(data: directory.path)
        try cli.succeed(["import", try Self.traffic(50, seed: 6, in: directory)])
        try cli.succeed(["project", "pages", "--once"])
        let live = directory.file("projections/pages/v2.db")
        try Data("not a database, not at all\n".utf8).write(to: URL(fileURLWithPath: live))
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: live + suffix) }
        let expected = "\(live) cannot be read: file is not a database (SQLite error 26)"
        let status = try cli.run(["status"])
        #expect(status.status == 1 && status.stdoutText.contains("pages        v2") && status.stderr.contains(expected), "\(status.stderr)")
        for command in [["query", "pages"], ["project", "pages", "--once"]] {
            let result = try cli.run(command)
            #expect(result.status != 0 && result.stderr.contains(expected) && result.stderr.contains("sessionlog rebuild pages"), "\(command)")
        }
        try cli.succeed(["rebuild", "pages"])
        #expect(try cli.run(["status"]).status == 0)
        let rollback = try cli.run(["rollback", "pages"])
        #expect(rollback.status != 0 && rollback.stderr.contains(expected), "the damaged v2 is PREVIOUS now")
        #expect(try cli.succeed(["query", "pages"]).stdoutLines.count > 1)
    }

    @Test func queryFunnelsSaysHowToDefineFunnelsWhenTheBuildHasNone() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cli = CLI(data: directory.path)
        try cli.succeed(["import", try Self.traffic(50, seed: 3, in: directory)])
        let definitions = directory.path + "/funnels.json"
        // No funnels.json: a build without funnels, which the projector says when it starts.
        let project = try cli.succeed(["project", "funnels", "--once"])
        #expect(project.stderr.contains("no funnels: \(definitions) does not exist"), "\(project.stderr)")
        let none = try cli.succeed(["query", "funnels"])
        #expect(none.stdoutLines.count == 1, "only the header: \(none.stdoutLines)")
        #expect(none.stderr.contains("\(definitions) was absent"), "\(none.stderr)")
        #expect(none.stderr.contains("Schemas/funnels.example.json") && none.stderr.contains("sessionlog rebuild funnels"), "\(none.stderr)")
        let rebuild = try cli.succeed(["rebuild", "funnels"])
        #expect(rebuild.stderr.contains("no funnels: \(definitions) does not exist"), "\(rebuild.stderr)")
        // With the file in place the same command builds funnels and says nothing of the kind.
        try FileManager.default.copyItem(atPath: Self.funnels, toPath: definitions)
        let rebuilt = try cli.succeed(["rebuild", "funnels"])
        #expect(!rebuilt.stderr.contains("no funnels"), "\(rebuilt.stderr)")
        let some = try cli.succeed(["query", "funnels"])
        #expect(some.stdoutLines.count > 1 && some.stderr.isEmpty, "\(some.stderr)")
    }

    @Test func aPointInTimeProjectionStopsAtTheGivenOffset() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cli = CLI(data: directory.path)
        try cli.succeed(["import", try Self.traffic(300, seed: 4, in: directory)])
        let asOf = directory.file("asof.db")
        try cli.succeed(["project", "sessions", "--until-offset", "120", "--db", asOf, "--once"])
        let database = try SQLiteDatabase(path: asOf, readOnly: true)
        #expect(try database.rows("SELECT next_offset FROM _checkpoint").rows == [[.integer(120)]])
        let invalid = try cli.run(["project", "all", "--db", asOf])
        #expect(invalid.status != 0 && invalid.stderr.contains("--db names one database"))
        let earlier = try cli.run(["project", "sessions", "--until-offset", "50", "--db", asOf, "--once"])
        #expect(earlier.status != 0 && earlier.stderr.contains("past --until-offset 50"), "\(earlier.stderr)")
        #expect(try database.rows("SELECT next_offset FROM _checkpoint").rows == [[.integer(120)]], "unchanged")
        let beyond = try cli.run(["project", "sessions", "--until-offset", "100000", "--db", directory.file("all.db"), "--once"])
        #expect(beyond.status == 0 && beyond.stderr.contains("before offset 100000: every record is applied"), "\(beyond.stderr)")
    }

    /// An auditor's "as of" a moment: `--until TIME` stops before the first record received at
    /// or after it.
    @Test func aPointInTimeProjectionStopsAtTheGivenTime() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cli = CLI(data: directory.path)
        var factory = PayloadFactory(seed: 6)
        try cli.succeed(["import", "-"], input: ndjson(factory.lines(100)))
        usleep(20_000)
        try cli.succeed(["import", "-"], input: ndjson(factory.lines(80, startingAt: 100)))
        let second = try jsonObject(try cli.succeed(["replay", "--from-offset", "100", "--to-offset", "100"]).stdoutText)
        let boundary = try #require(second["received_at"] as? Int)
        let asOf = directory.file("asof.db")
        let projected = try cli.succeed(["project", "sessions", "--until", String(boundary), "--db", asOf, "--once"])
        #expect(projected.stderr.contains("end at offset 100"), "\(projected.stderr)")
        let database = try SQLiteDatabase(path: asOf, readOnly: true)
        #expect(try database.rows("SELECT next_offset FROM _checkpoint").rows == [[.integer(100)]])
        let everything = try cli.succeed(["project", "pages", "--until", "2999-01-01", "--db", directory.file("all.db"), "--once"])
        #expect(everything.stderr.contains("end at offset 180"), "\(everything.stderr)")
        let both = try cli.run(["project", "pages", "--until", "2999-01-01", "--until-offset", "5", "--db", asOf, "--once"])
        #expect(both.status != 0 && both.stderr.contains("give one"), "\(both.stderr)")
    }
}
