import Foundation
import SessionlogTestKit
import Testing

@Suite(.blocking) struct ImportReplayTests {
    @Test func importThenReplayRawIsByteIdenticalAcrossManySegmentRolls() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var factory = PayloadFactory(seed: 42)
        var valid = [String]()
        var all = [String]()
        for i in 0..<6000 {
            let line = factory.line(index: i)
            valid.append(line)
            all.append(line)
            if i % 500 == 7 { all.append(#"{"v":9,"bad":true}"#) }
            if i % 700 == 3 { all.append("not json at all") }
        }
        try Data(ndjson(all)).write(to: URL(fileURLWithPath: dir.file("in.ndjson")))
        let cli = CLI(data: dir.file("data"))
        let imported = try cli.succeed(["import", dir.file("in.ndjson"), "--segment-bytes", "32768"])
        let summary = try jsonObject(imported.stdoutLines.last ?? "")
        #expect(summary["accepted"] as? Int == valid.count)
        #expect(summary["quarantined"] as? Int == all.count - valid.count)
        let status = try cli.succeed(["status", "--format", "json"])
        let quarantine = try #require(try jsonObject(status.stdoutText)["quarantine"] as? [String: Any])
        #expect(quarantine["end_offset"] as? Int == all.count - valid.count && quarantine["last_received_at"] is Int)
        #expect(try cli.succeed(["status"]).stdoutLines[1].hasPrefix("quarantine \(dir.file("data/rejected")): \(all.count - valid.count) payloads, the last received 20"))

        let raw = try cli.succeed(["replay", "--raw"])
        #expect(raw.stdout == ndjson(valid))
        let segments = try FileManager.default.contentsOfDirectory(atPath: dir.file("data/log")).filter { $0.hasSuffix(".seg") }
        #expect(segments.count > 10)

        let envelopes = try cli.succeed(["replay", "--from-offset", "100", "--to-offset", "104"]).stdoutLines
        #expect(envelopes.count == 5)
        let first = try jsonObject(envelopes[0])
        #expect(first["offset"] as? Int == 100 && first["uid"] as? Int == Int(getuid()))
        let payload = try #require(first["payload"] as? [String: Any])
        #expect(payload["v"] as? Int == (try jsonObject(valid[100]))["v"] as? Int)

        let rejected = try cli.succeed(["replay", "--rejected"]).stdoutLines
        #expect(rejected.count == all.count - valid.count)
        let reasons = try rejected.map { try #require(try jsonObject($0)["reason"] as? [String: Any]) }
        #expect(Set(reasons.compactMap { $0["code"] as? String }) == ["invalid_json", "invalid_value"])
        #expect(reasons.allSatisfy { ($0["source"] as? String)?.hasPrefix("import:") == true })

        let verified = try jsonObject(try cli.succeed(["verify"]).stdoutText)
        #expect(verified["last_offset"] as? Int == valid.count - 1)
        let head = try #require(verified["head"] as? String)
        try cli.succeed(["verify", "--expect-head", "\(valid.count - 1):\(head)"])

        let inspect = try #require(try JSONSerialization.jsonObject(with: Data(try cli.succeed(["inspect", "--format", "json"]).stdout)) as? [[String: Any]])
        let total = try #require(inspect[0]["total"] as? [String: Any])
        #expect(total["records"] as? Int == valid.count)
        #expect((total["compression_ratio"] as? Double ?? 0) > 2)
    }

    @Test func replaySelectsByReceivedTime() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cli = CLI(data: dir.file("data"))
        try cli.succeed(["import", "-"], input: ndjson((0..<50).map { PayloadFactory.minimalV3("early-\($0)") }))
        usleep(30_000)
        try cli.succeed(["import", "-"], input: ndjson((0..<40).map { PayloadFactory.minimalV3("late-\($0)") }))
        let envelopes = try cli.succeed(["replay"]).stdoutLines.map(jsonObject)
        let boundary = try #require(envelopes[50]["received_at"] as? Int)
        #expect((envelopes[49]["received_at"] as? Int ?? .max) < boundary)
        #expect(try cli.succeed(["replay", "--since", String(boundary)]).stdoutLines.count == 40)
        #expect(try cli.succeed(["replay", "--until", String(boundary)]).stdoutLines.count == 50)
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let since = iso.string(from: Date(timeIntervalSince1970: Double(boundary) / 1000))
        #expect(try cli.succeed(["replay", "--since", since, "--raw"]).stdoutLines.first == PayloadFactory.minimalV3("late-0"))
        // A date is its midnight, UTC: every record was received at or after its own day's.
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        let first = day.string(from: Date(timeIntervalSince1970: Double(try #require(envelopes[0]["received_at"] as? Int)) / 1000))
        #expect(try cli.succeed(["replay", "--since", first]).stdoutLines.count == 90)
        #expect(try cli.succeed(["replay", "--until", first]).stdoutLines.isEmpty)
        // A duration is that long before now: everything came in the last hour, nothing in the future.
        #expect(try cli.succeed(["replay", "--since", "1h"]).stdoutLines.count == 90)
        #expect(try cli.succeed(["replay", "--since", "0s", "--raw"]).stdoutLines.isEmpty)
        #expect(try cli.succeed(["replay", "--until", "2d"]).stdoutLines.isEmpty)
        let unknownUnit = try cli.run(["replay", "--since", "15w"])
        #expect(unknownUnit.status == 64 && unknownUnit.stderr.contains("a duration ago: 90s, 15m, 2h, 7d"))
    }

    /// A line's `idempotency_key` works as on a `/batch` line: the record carries it, a second
    /// import (or a repeat within one) appends a keyed line once, other bytes under a used key
    /// are a quarantined conflict, and a key outside 1–1024 characters is rejected.
    @Test func importHonoursIdempotencyKeysAcrossRuns() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cli = CLI(data: dir.file("data"))
        let keyed = { (key: String, session: String) in
            #"{"v":3,"idempotency_key":"\#(key)","session_id":"\#(session)","user_id":"u","site_id":"x","sent_at":1762000000000,"actions":[]}"#
        }
        let lines = [
            keyed("a", "s-1"), keyed("b", "s-2"), keyed("a", "s-1"), keyed("b", "s-other"), PayloadFactory.minimalV3("no key"),
            keyed(String(repeating: "k", count: 1025), "s-3"),
        ]
        let first = try cli.succeed(["import", "--print-offsets", "-"], input: ndjson(lines))
        #expect(try jsonObject(first.stderr.split(separator: "\n").last.map(String.init) ?? "{}")["duplicates"] as? Int == 1, "\(first.stderr)")
        let outcomes = try first.stdoutLines.map(jsonObject)
        #expect(outcomes[2]["offset"] as? Int == 0 && outcomes[2]["duplicate"] as? Bool == true, "\(outcomes)")
        #expect(outcomes[3]["code"] as? String == "idempotency_conflict" && outcomes[5]["code"] as? String == "out_of_range", "\(outcomes)")

        let second = try jsonObject(try cli.succeed(["import", "-"], input: ndjson(lines)).stdoutText)
        #expect(second["accepted"] as? Int == 1 && second["duplicates"] as? Int == 3 && second["quarantined"] as? Int == 2, "\(second)")
        let envelopes = try cli.succeed(["replay"]).stdoutLines.map(jsonObject)
        #expect(envelopes.map { $0["idempotency_key"] as? String } == ["a", "b", nil, nil], "only the unkeyed line is appended twice")
        #expect(try cli.succeed(["replay", "--raw", "--to-offset", "1"]).stdoutLines == [lines[0], lines[1]])
    }

    /// Ctrl-C (or SIGTERM) on an import reading an idle pipe: what was read is durable, the
    /// summary says so, and the exit status says the input was not all imported.
    @Test func anInterruptedImportKeepsWhatItReadAndSaysSo() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cli = CLI(data: dir.path)
        let importer = try cli.spawn(["import", "-", "--print-offsets"], readsInput: true)
        importer.write(ndjson((0..<30).map { PayloadFactory.minimalV3("read-\($0)") }))
        #expect(eventually { String(decoding: importer.stdoutSoFar, as: UTF8.self).contains(#""line":30,"offset":29"#) })
        importer.kill(SIGINT)
        let result = importer.wait()
        #expect(result.status == 1)
        #expect(result.stderr.contains(#""accepted":30,"quarantined":0,"duplicates":0,"blank_lines":0,"next_offset":30,"interrupted":true"#), "\(result.stderr)")
        #expect(result.stderr.contains("import: interrupted"))
        #expect(try cli.succeed(["replay", "--raw"]).stdoutLines.count == 30)
    }

    /// A disk that fills during an import: the log holds exactly the lines before the one the
    /// error names, in order (no later, smaller append slipped in after a failed one), and the
    /// command the error gives imports the rest once space returns. The prefix may be empty: a
    /// writer that finds every request queued commits them in one group, which fails whole.
    @Test func anImportThatFillsTheDiskKeepsAPrefixAndSaysWhereToResume() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let disk = try SizeLimitedDisk(at: dir.file("tmpfs"), kibibytes: 4096, free: 1536)
        defer { disk.unmount() }

        // 8 KB lines that barely compress: 2.4 MB does not fit in the 1.5 MiB left.
        var factory = PayloadFactory(seed: 23)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let lines = (0..<300).map { i in
            let url = String((0..<8000).map { _ in alphabet[factory.next(alphabet.count)] })
            return #"{"v":3,"session_id":"s-\#(i)","user_id":"u","site_id":"x","sent_at":1762000000000,"actions":["#
                + #"{"type":"pageview","page_number":1,"path":"/p","url":"\#(url)","entered_at":1762000000000}]}"#
        }
        let input = dir.file("in.ndjson")
        try Data(ndjson(lines)).write(to: URL(fileURLWithPath: input))
        let cli = CLI(data: disk.path + "/data")

        let full = try cli.run(["import", input])
        #expect(full.status != 0)
        let stopped = try #require(full.stderr.firstMatch(of: /Every line before line (\d+) of (.+) is durable/), "\(full.stderr)")
        let line = try #require(Int(stopped.1))
        #expect(String(stopped.2) == input && line >= 1 && line <= lines.count, "line \(line)")
        #expect(try cli.succeed(["replay", "--raw"]).stdoutLines == Array(lines[..<(line - 1)]))
        let resume = try #require(full.stderr.firstMatch(of: /import the rest: (tail -n \+\d+ \S+) \| sessionlog import -/))
        #expect(String(resume.1) == "tail -n +\(line) \(input)")

        try disk.makeRoom()
        let rest = try ProcessRunner.run("/usr/bin/tail", ["-n", "+\(line)", input])
        try cli.succeed(["import", "-"], input: rest.stdout)
        #expect(try cli.succeed(["replay", "--raw"]).stdoutLines == lines)
        try cli.succeed(["verify"])
    }

    /// Every command's help names --data (SPEC §6), and its prose is wrapped by the parser only:
    /// a line of a paragraph ends early only when the next word would not have fit (lines are at most 79 columns).
    @Test func everyCommandHasHelp() throws {
        let commands = [
            "up", "ingress", "project", "rebuild", "rollback", "query", "status", "send", "import", "validate", "replay", "verify",
            "inspect", "requeue",
        ]
        for command in [[]] + commands.map({ [$0] }) {
            let result = try ProcessRunner.run(SessionlogBinary.path, command + ["--help"])
            #expect(result.status == 0 && result.stdoutText.contains("--data"), "\(command) --help")
            let prose = result.stdoutText.components(separatedBy: "\nUSAGE:")[0].split(separator: "\n", omittingEmptySubsequences: false)
            for (line, next) in zip(prose, prose.dropFirst()) where !line.isEmpty && !next.isEmpty && next.first != " " {
                let word = next.prefix { $0 != " " }
                #expect(line.count + 1 + word.count > 79, "\(command) --help breaks a paragraph after \"\(line)\"")
            }
        }
        let version = try ProcessRunner.run(SessionlogBinary.path, ["--version"])
        #expect(version.status == 0 && version.stdoutText.hasSuffix("(log format 1)\n"), "\(version.stdoutText)")
    }

    @Test func badInputGetsAClearErrorAndANonZeroExit() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cli = CLI(data: dir.file("missing"))
        let replay = try cli.run(["replay"])
        #expect(replay.status != 0 && replay.stderr.contains("no log at"))
        let head = try cli.run(["verify", "--expect-head", "nonsense"])
        #expect(head.status != 0 && head.stderr.contains("OFFSET:HASH") && head.stderr.contains("Usage: sessionlog verify"))
        // A well-formed command on data that is not as it needs: the reason alone, no usage line.
        let rollback = try cli.run(["rollback", "pages"])
        #expect(rollback.status != 0 && rollback.stderr == "Error: no data directory at \(dir.file("missing")); pass --data DIR (default ./data)\n")
        // A mistyped --data: commands that read the data refuse, and create nothing.
        for command in [["status"], ["inspect"], ["requeue"], ["rebuild", "pages"], ["project", "pages", "--once"], ["query", "pages"]] {
            let result = try cli.run(command)
            #expect(result.status != 0 && result.stderr.contains("no data directory at \(dir.file("missing"))"), "\(command)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("missing")))
        let good = dir.file("good.ndjson")
        try Data(ndjson([PayloadFactory.minimalV3("good")])).write(to: URL(fileURLWithPath: good))
        let missingFile = try cli.run(["import", good, dir.file("nope.ndjson")])
        #expect(missingFile.status != 0 && missingFile.stderr.contains("cannot open \(dir.file("nope.ndjson"))"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("missing")), "a refused import creates no log and appends nothing")
        let status = try cli.run(["status"])  // a mistyped --data is not an empty log
        #expect(status.status != 0 && status.stderr.contains("no data directory at \(dir.file("missing"))"), "\(status.stderr)")
        let backwards = try cli.run(["replay", "--from-offset", "10", "--to-offset", "5"])
        #expect(backwards.status != 0 && backwards.stderr.contains("the range is empty"), "\(backwards.stderr)")
        let noTime = try cli.run(["replay", "--since", "2025-06-03T10:00:00Z", "--until", "2025-06-03T10:00:00Z"])
        #expect(noTime.status != 0 && noTime.stderr.contains("the range is empty"), "\(noTime.stderr)")
    }

    @Test func verifyNamesTheCorruptSegmentBytePositionAndOffset() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cli = CLI(data: dir.file("data"))
        var factory = PayloadFactory(seed: 3)
        try cli.succeed(["import", "-", "--segment-bytes", "4096"], input: ndjson(factory.lines(300)))
        let sealed = dir.file("data/log/00000000000000000000.seg")
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: sealed))
        try handle.seek(toOffset: 200)
        try handle.write(contentsOf: [0xFF, 0xFF])
        try handle.close()
        let result = try cli.run(["verify"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("segment 00000000000000000000.seg, byte 32, offset 0"), "\(result.stderr)")
    }

    /// A flipped bit inside history (not the tail) must not make the next writer cut every
    /// acknowledged record after it: writers refuse, replay prints everything before the damage.
    @Test func damageInsideTheActiveSegmentIsRefusedNotCutAway() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cli = CLI(data: dir.file("data"))
        var factory = PayloadFactory(seed: 8)
        let lines = factory.lines(300)
        let segment = dir.file("data/log/00000000000000000000.seg")
        var ends = [Int]()
        for part in 0..<3 {  // three imports: at least three batches
            try cli.succeed(["import", "-"], input: ndjson(Array(lines[(part * 100)..<(part * 100 + 100)])))
            ends.append(Int(try FileManager.default.attributesOfItem(atPath: segment)[.size] as! UInt64))
        }
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: segment))
        try handle.seek(toOffset: UInt64((ends[0] + ends[1]) / 2))  // inside the second import's batches
        try handle.write(contentsOf: [0x5A])
        try handle.close()
        let damaged = try Data(contentsOf: URL(fileURLWithPath: segment))

        let refused = try cli.run(["import", "-"], input: ndjson([PayloadFactory.minimalV3("after-damage")]))
        #expect(refused.status != 0 && refused.stderr.contains("intact batches follow it"), "\(refused.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: segment)) == damaged, "the writer changed nothing")
        let replay = try cli.run(["replay", "--raw"])
        #expect(replay.status != 0 && replay.stderr.contains("corrupt log at segment 00000000000000000000.seg"))
        #expect(replay.stdoutLines.count >= 100 && replay.stdoutLines == Array(lines.prefix(replay.stdoutLines.count)))
        #expect(try cli.run(["verify"]).status != 0)
        // inspect counts up to the damage and says so, rather than show a shorter log as whole.
        let inspect = try cli.run(["inspect", "--format", "json"])
        #expect(inspect.status == 1 && inspect.stderr.contains("corrupt log at segment 00000000000000000000.seg"), "\(inspect.stderr)")
        let logs = try #require(try JSONSerialization.jsonObject(with: Data(inspect.stdout)) as? [[String: Any]])
        let segment0 = try #require((logs[0]["segments"] as? [[String: Any]])?.first)
        #expect((segment0["records"] as? Int ?? 300) < 300 && (segment0["damage"] as? String)?.contains("byte ") == true)
        #expect(logs[1]["total"].flatMap { ($0 as? [String: Any])?["damage"] } is NSNull)
    }

    @Test func importRefusesWhileAnotherWriterHoldsTheLog() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cli = CLI(data: dir.file("data"))
        let holder = try cli.spawn(["import", "-"], readsInput: true)
        let lockFile = dir.file("data/log/LOCK")
        #expect(eventually { (try? String(contentsOfFile: lockFile, encoding: .utf8))?.contains(String(holder.pid)) == true })
        let second = try cli.run(["import", "-"], input: ndjson([PayloadFactory.minimalV3("refused")]))
        #expect(second.status != 0)
        #expect(second.stderr.contains("locked by pid \(holder.pid)") && second.stderr.contains("sessionlog send FILE"), "\(second.stderr)")
        holder.write(ndjson([PayloadFactory.minimalV3("first")]))
        holder.closeInput()
        #expect(holder.wait().status == 0)
        try cli.succeed(["import", "-"], input: ndjson([PayloadFactory.minimalV3("second")]))
        #expect(try cli.succeed(["replay", "--raw"]).stdoutLines == [PayloadFactory.minimalV3("first"), PayloadFactory.minimalV3("second")])
    }
}

@Suite(.blocking) struct ValidateAndQuarantineTests {
    @Test func validateGivesOneVerdictPerLineAndFailsOnAnyInvalidOne() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cli = CLI(data: dir.file("data"))
        let lines = [PayloadFactory.minimalV3("a"), "", #"{"v":2,"kind":"start"}"#, "[1]", #"{"v":1,"event_id":"e"}"#]
        let result = try cli.run(["validate", "-", "--format", "json"], input: ndjson(lines))
        #expect(result.status == 1)
        let verdicts = try result.stdoutLines.map(jsonObject)
        #expect(verdicts.map { $0["line"] as? Int } == [1, 3, 4, 5])
        #expect(verdicts[0]["ok"] as? Bool == true && verdicts[0]["v"] as? Int == 3)
        #expect(verdicts[1]["code"] as? String == "missing_field" && verdicts[1]["path"] as? String == "session_id")
        #expect(verdicts[2]["code"] as? String == "wrong_type" && verdicts[2]["path"] as? String == "")
        #expect(verdicts[3]["code"] as? String == "missing_field")
        #expect(try cli.run(["validate", "-"], input: ndjson([PayloadFactory.minimalV3("b")])).status == 0)
        #expect(!FileManager.default.fileExists(atPath: dir.file("data")), "validate appends nothing")
    }

    /// Text verdicts stay one per line whatever the producer's strings hold; values it sent are
    /// quoted as JSON and cut short.
    @Test func validateTextVerdictsAreOneLineEach() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cli = CLI(data: dir.file("data"))
        let longType = String(repeating: "x", count: 5000)
        let lines = [
            #"{"v":3,"session_id":"s","user_id":"u","site_id":"x","sent_at":1,"actions":[{"type":"page\nview","page_number":1}]}"#,
            #"{"v":3,"a\nb":1,"a\nb":2}"#, #"{"v":3,"x":{"y\tz":1e400}}"#,
            #"{"v":3,"session_id":"s","user_id":"u","site_id":"x","sent_at":1,"actions":[{"type":""# + longType + #"","page_number":1}]}"#,
            #"{"v":2,"kind":"start","session_id":"s","user_id":"u","site_id":"x"}"#,
            #"{"v":2,"kind":"be\ngin","session_id":"s","user_id":"u","site_id":"x","started_at":1}"#,
            #"{"v":1,"event_id":"e","event_type":"ho\nver"}"#,
        ]
        let verdicts = try cli.run(["validate", "-"], input: ndjson(lines)).stdoutLines
        #expect(verdicts.count == 7, "\(verdicts)")
        #expect(verdicts[5] == #"6: invalid_value at kind: "be\ngin" must be start or renew"#, "\(verdicts[5])")
        #expect(verdicts[6].hasSuffix(#"unknown event type "ho\nver" (pageview, click, scroll, form_submit, conversion)"#), "\(verdicts[6])")
        // The member the path ends with is not named again by the message.
        #expect(verdicts[4] == "5: missing_field at started_at: is required", "\(verdicts[4])")
        #expect(verdicts[0].hasSuffix(#"unknown action type "page\nview" (pageview or goal)"#))
        #expect(verdicts[1].hasSuffix(#"duplicate member name "a\nb" (RFC 7493 forbids them)"#))
        #expect(verdicts[2].hasPrefix(#"3: out_of_range at x["y\tz"]: "#))
        #expect(verdicts[3].hasSuffix(#"unknown action type ""# + String(repeating: "x", count: 40) + #"…" (pageview or goal)"#))
    }

    /// Verdicts say what a producer's developer needs to fix the payload: a time is a number of
    /// milliseconds, old_session_id is needed because the kind is renew, and which timestamp or
    /// id was refused.
    @Test func validateVerdictsSayWhatToFix() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let lines = [
            #"{"v":3,"session_id":"s","user_id":"u","site_id":"x","sent_at":"2025-01-01","actions":[]}"#,
            #"{"v":2,"kind":"renew","session_id":"s","user_id":"u","site_id":"x","started_at":5}"#,
            #"{"v":1,"event_id":"e","event_type":"pageview","timestamp":"2025-13-01T00:00:00Z","session_id":"s","user_id":"u","project_id":"p","page_url":"x","session_event_sequence":1}"#,
            #"{"v":3,"session_id":"bad id","user_id":"u","site_id":"x","sent_at":1,"actions":[]}"#,
        ]
        let verdicts = try CLI(data: dir.file("data")).run(["validate", "-"], input: ndjson(lines)).stdoutLines
        #expect(verdicts == [
            "1: wrong_type at sent_at: expected a time in milliseconds since the Unix epoch, found a string",
            "2: missing_field at old_session_id: is required when kind is renew",
            #"3: invalid_timestamp at timestamp: "2025-13-01T00:00:00Z" is not an RFC 3339 date-time such as 2025-06-03T10:15:00.250Z (a valid date and time, with Z or an offset)"#,
            #"4: invalid_id at session_id: "bad id" is not an id: 1–128 characters of A-Z a-z 0-9 . _ : -"#,
        ])
    }

    /// `import` reads its input 1 MiB at a time: a line may span reads, be longer than a read, or
    /// end the input without a newline; each still counts as one line, numbered in order.
    @Test func importNumbersLinesThatSpanReadsAndALastLineWithoutANewline() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var factory = PayloadFactory(seed: 7)
        var valid = [String]()
        var bytes = 0
        while bytes < 1_200_000 {  // past the first read
            valid.append(factory.line(index: valid.count))
            bytes += valid[valid.count - 1].utf8.count + 1
        }
        let huge = #"{"v":3,"pad":""# + String(repeating: "x", count: 1_500_000) + #""}"#
        let tail = (0..<3).map { factory.line(index: valid.count + $0) }
        let input = Array((valid + [huge, "\r"] + tail).joined(separator: "\n").utf8)  // no newline at the end
        try Data(input).write(to: URL(fileURLWithPath: dir.file("in.ndjson")))
        let cli = CLI(data: dir.file("data"))
        let acknowledgements = try cli.succeed(["import", dir.file("in.ndjson"), "--print-offsets"]).stdoutLines
            .map(jsonObject)
        let numbers = acknowledgements.map { $0["line"] as? Int ?? 0 }
        let gaps = zip(numbers, numbers.dropFirst()).filter { $1 != $0 + 1 }.map { "\($0)->\($1)" }
        #expect(numbers.first == 1 && numbers.count == valid.count + 4, "one acknowledgement per non-blank line")
        #expect(gaps == ["\(valid.count + 1)->\(valid.count + 3)"], "only the blank line is skipped")
        #expect(acknowledgements.compactMap { $0["offset"] as? Int }.elementsEqual(0..<valid.count + 3))
        #expect(acknowledgements[valid.count]["code"] as? String == "too_large")
        #expect(
            try cli.succeed(["replay", "--raw"]).stdout.elementsEqual(ndjson(valid + tail)),
            "every accepted line, byte for byte")
        let rejections = try cli.succeed(["replay", "--rejected"]).stdoutLines.map(jsonObject)
        let rejected = try #require(rejections.first?["reason"] as? [String: Any])
        #expect(rejections.count == 1 && rejected["length"] as? Int == huge.utf8.count)
        #expect(rejected["source"] as? String == "import:\(dir.file("in.ndjson")):\(valid.count + 1)")
    }

    @Test func importQuarantinesWithCodePathAndTheOversizedPayloadsDigest() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cli = CLI(data: dir.file("data"))
        let huge = #"{"v":3,"pad":""# + String(repeating: "x", count: 100_000) + #""}"#
        let lines = [#"{"v":3,"session_id":"s","user_id":"u","site_id":"x","sent_at":1,"actions":[{"type":"pageview","page_number":0,"path":"/","entered_at":1}]}"#, huge]
        try cli.succeed(["import", "-", "--max-body", "70000"], input: ndjson(lines))
        let rejected = try cli.succeed(["replay", "--rejected"]).stdoutLines.map(jsonObject)
        #expect(rejected.count == 2)
        let first = try #require(rejected[0]["reason"] as? [String: Any])
        #expect(first["code"] as? String == "out_of_range" && first["path"] as? String == "actions[0].page_number")
        let second = try #require(rejected[1]["reason"] as? [String: Any])
        #expect(second["code"] as? String == "too_large" && second["length"] as? Int == huge.utf8.count)
        #expect((second["sha256"] as? String)?.count == 64)
        #expect((rejected[1]["payload_text"] as? String)?.utf8.count == 64 << 10, "the first 64 KiB are kept")
    }
}
