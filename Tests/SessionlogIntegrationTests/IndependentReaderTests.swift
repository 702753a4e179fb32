import Foundation
import SessionlogTestKit
import Testing

/// `Tools/read_log.py`, a reader written in Python from docs/log-format.md alone, reads what the
/// binary writes: the same records, bytes and head as `replay` and `verify`. This keeps the
/// document complete, and gives auditors a check that does not trust the binary.
@Suite(.blocking) struct IndependentReaderTests {
    static let reader = PythonTool("read_log.py")

    static func read(_ directory: String, _ arguments: [String] = []) throws -> ProcessResult {
        try reader.run([directory] + arguments)
    }

    @Test func thePythonReaderAgreesWithReplayAndVerifyOnBothLogs() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cli = CLI(data: directory.path)
        var factory = PayloadFactory(seed: 17)
        let lines = factory.lines(3000) + [#"{"v":9}"#, "not json"]
        try cli.succeed(["import", "-", "--segment-bytes", "65536"], input: ndjson(lines))

        let payloads = directory.file("payloads.out")
        let main = try Self.read(directory.file("log"), ["--payloads", payloads])
        #expect(main.status == 0, "\(main.stderr)")
        #expect(main.stdoutText == (try cli.succeed(["verify"]).stdoutText))
        #expect(FileManager.default.contents(atPath: payloads) == Data(try cli.succeed(["replay", "--raw"]).stdout))

        let rejected = try Self.read(directory.file("rejected"), ["--records"])
        #expect(rejected.status == 0, "\(rejected.stderr)")
        #expect(rejected.stdoutLines.last == (try cli.succeed(["verify", "--rejected"]).stdoutLines.last))
        let envelopes = try cli.succeed(["replay", "--rejected"]).stdoutLines.map(jsonObject)
        let records = try rejected.stdoutLines.dropLast().map(jsonObject)
        #expect(records.count == 2 && envelopes.count == 2)
        for (record, envelope) in zip(records, envelopes) {
            for field in ["offset", "received_at", "uid"] { #expect(record[field] as? Int == envelope[field] as? Int, "\(field)") }
            #expect((record["reason"] as? [String: Any])?["code"] as? String == (envelope["reason"] as? [String: Any])?["code"] as? String)
        }
    }

    @Test func thePythonReaderRefusesATamperedLogAsVerifyDoes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cli = CLI(data: directory.path)
        var factory = PayloadFactory(seed: 18)
        try cli.succeed(["import", "-"], input: ndjson(factory.lines(200)))
        let segment = directory.file("log/00000000000000000000.seg")
        let file = try FileHandle(forUpdating: URL(fileURLWithPath: segment))
        try file.seek(toOffset: 500)
        let byte = try #require(try file.read(upToCount: 1)).first!
        try file.seek(toOffset: 500)
        try file.write(contentsOf: [byte ^ 0x01])
        try file.close()
        let read = try Self.read(directory.file("log"))
        #expect(read.status == 1 && read.stderr.contains("fails its CRC"), "\(read.stderr)")
        #expect(try cli.run(["verify"]).status != 0)
    }
}
