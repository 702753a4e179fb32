import Foundation
import SessionlogTestKit
import Testing

/// The backup procedure of docs/operations.md ("Backups"): copying a live log's directory, its
/// commit marker first, gives a log that verifies on its own and is a prefix of the live one.
@Suite(.blocking) struct BackupTests {
    @Test func aCopyTakenWhileTheIngressAppendsIsAVerifiablePrefixOfTheLog() throws {
        let ingress = try IngressTests.Running(["--segment-bytes", "65536"])
        var factory = PayloadFactory(seed: 21)
        let traffic = ingress.dir.file("traffic.ndjson")
        try Data(ndjson(factory.lines(20_000))).write(to: URL(fileURLWithPath: traffic))
        // Small requests on one connection: thousands of group commits while the copy runs.
        let sender = try ingress.cli.spawn(["send", traffic, "--connections", "1", "--batch-lines", "2"])
        let live = ingress.dir.file("data/log")
        #expect(try eventually { Self.records(try ingress.cli.run(["verify"])) >= 300 })

        let copy = ingress.dir.file("backup")
        try FileManager.default.createDirectory(atPath: copy + "/log", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: live + "/COMMIT", toPath: copy + "/log/COMMIT")
        for name in try FileManager.default.contentsOfDirectory(atPath: live).sorted() where name != "COMMIT" && name != "LOCK" {
            try FileManager.default.copyItem(atPath: live + "/" + name, toPath: copy + "/log/" + name)
        }
        let backup = CLI(data: copy)
        let verified = try backup.run(["verify"])
        #expect(verified.status == 0, "\(verified.stderr)")
        let copied = Self.records(verified)
        #expect(copied >= 300)
        // The live log goes on past the copy before the producer stops.
        #expect(try eventually { Self.records(try ingress.cli.run(["verify"])) > copied + 100 })
        sender.kill()
        _ = sender.wait()
        #expect(ingress.stop().status == 0)

        let head = try #require(try jsonObject(verified.stdoutLines.last ?? "")["head"] as? String)
        try ingress.cli.succeed(["verify", "--expect-head", "\(copied - 1):\(head)"])
        // Opened for writing, the copy keeps what its commit marker covers (and whole batches
        // written after it), and reads as the live log's first records.
        try backup.succeed(["import", "/dev/null"])
        let restored = try backup.succeed(["replay", "--raw"]).stdoutLines
        #expect(restored.count >= copied)
        #expect(Array(try ingress.cli.succeed(["replay", "--raw"]).stdoutLines.prefix(restored.count)) == restored)
    }

    /// How many records `verify` found (0 for an empty log or a failed run).
    private static func records(_ verify: ProcessResult) -> Int {
        guard let line = verify.stdoutLines.last, let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let last = object["last_offset"] as? Int
        else { return 0 }
        return last + 1
    }
}
