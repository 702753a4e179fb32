import Foundation
import LogFormat
import LogStore
import SessionlogTestKit
import Testing

/// Real processes, killed with SIGKILL at random moments.
@Suite(.serialized, .blocking) struct CrashTests {
    @Test func everyAcknowledgedRecordSurvivesRepeatedKill9() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cli = CLI(data: dir.file("data"))
        var factory = PayloadFactory(seed: 2024)
        var acknowledged = [UInt64: String]()
        var sentTotal = 0
        for round in 0..<24 {
            let writer = try cli.spawn(["import", "-", "--print-offsets", "--segment-bytes", "8192"], readsInput: true)
            let lines = factory.lines(4000, startingAt: sentTotal).map { $0.replacingOccurrences(of: "\"v\":", with: "\"round\":\(round),\"v\":") }
            sentTotal += lines.count
            let killAfterMs = 30 + factory.next(250)
            let feeder = Thread {
                for start in stride(from: 0, to: lines.count, by: 25) {
                    writer.write(ndjson(Array(lines[start..<min(lines.count, start + 25)])))
                    usleep(1000)
                }
            }
            feeder.start()
            // Kill at a random moment after the round's first acknowledgement (however loaded the machine is).
            #expect(eventually(seconds: 30) { writer.stdoutSoFar.contains(UInt8(ascii: "\n")) }, "round \(round): nothing acknowledged")
            usleep(UInt32(killAfterMs * 1000))
            writer.kill(SIGKILL)
            let result = writer.wait()
            #expect(result.status != 0, "round \(round): the writer should have been killed")
            // Acks are whole lines; a line cut by the kill is ignored.
            for line in result.stdoutText.split(separator: "\n") where line.hasSuffix("}") {
                let ack = try jsonObject(String(line))
                let number = try #require(ack["line"] as? Int)
                let offset = try #require(ack["offset"] as? Int)
                acknowledged[UInt64(offset)] = lines[number - 1]
            }
            // After each restart: every acknowledged offset holds its bytes, and verify passes.
            let reopened = try cli.succeed(["import", "-"], input: [])
            #expect(reopened.status == 0)
            var records = [UInt64: String]()
            var cursor = LogReader(directory: dir.file("data/log")).cursor(from: .zero)
            while let batch = try cursor.nextBatch() {
                for record in batch { records[record.offset.rawValue] = String(decoding: record.payload, as: UTF8.self) }
            }
            for (offset, line) in acknowledged {
                #expect(records[offset] == line, "round \(round): acknowledged offset \(offset) lost or changed")
            }
            #expect(records.keys.sorted() == Array(0..<UInt64(records.count)), "offsets stay dense")
            try cli.succeed(["verify"])
        }
        #expect(acknowledged.count >= 24, "every round acknowledges records before its kill")
    }
}

@Suite(.blocking) struct FollowTests {
    @Test func aReaderProcessFollowsTheTailWhileWriterProcessesAppend() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cli = CLI(data: dir.file("data"))
        try cli.succeed(["import", "-"], input: ndjson([PayloadFactory.minimalV3("first")]))
        let follower = try cli.spawn(["replay", "--follow", "--raw"])
        var expected = [PayloadFactory.minimalV3("first")]
        var factory = PayloadFactory(seed: 77)
        for round in 0..<6 {
            let lines = factory.lines(150, startingAt: round * 150)
            expected += lines
            try cli.succeed(["import", "-", "--segment-bytes", "16384"], input: ndjson(lines))
        }
        let complete = eventually { String(decoding: follower.stdoutSoFar, as: UTF8.self).split(separator: "\n").count >= expected.count }
        follower.kill(SIGTERM)
        let output = follower.wait()
        #expect(complete)
        #expect(output.stdoutLines == expected)
    }
}
