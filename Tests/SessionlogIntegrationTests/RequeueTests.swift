import Foundation
import LogFormat
import LogStore
import SessionlogTestKit
import Testing

/// `sessionlog requeue` (SPEC §1.4) against a quarantine log holding what older rules rejected.
@Suite struct RequeueTests {
    static func quarantined(_ payload: String, code: String, source: String, key: String? = nil) -> AppendRecord {
        let reason = #"{"code":"\#(code)","path":"","message":"rejected by an older build","source":"\#(source)"}"#
        return AppendRecord(version: 0, producerUID: 1000, idempotencyKey: key, rejectReason: reason, payload: Array(payload.utf8))
    }

    @Test func validPayloadsAreAppendedOnceUnderTheirKeysAndTheRestStays() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cli = CLI(data: directory.path)
        let v3 = PayloadFactory.minimalV3("requeued")
        let batchLine = #"{"v":2,"kind":"start","session_id":"s-b","user_id":"u","site_id":"shop","started_at":1762000000000,"idempotency_key":"line-key"}"#
        let writer = try LogWriter.open(directory: directory.file("rejected"), options: LogWriterOptions(kind: .quarantine))
        _ = try await writer.append([
            Self.quarantined(v3, code: "invalid_value", source: "ingress:/v3/session", key: "k-1"),
            Self.quarantined(#"{"v":3}"#, code: "missing_field", source: "ingress:/v3/session"),
            Self.quarantined(String(repeating: "x", count: 100), code: "too_large", source: "ingress:/v3/session"),
            Self.quarantined(batchLine, code: "wrong_type", source: "import:traffic.ndjson:7"),
            Self.quarantined(v3, code: "idempotency_conflict", source: "ingress:/v3/session", key: "k-2"),
        ])
        await writer.close()

        let dry = try jsonObject(try cli.succeed(["requeue", "--dry-run"]).stdoutText)
        #expect(dry["requeued"] as? Int == 2)
        #expect(try cli.run(["replay"]).stdoutLines.isEmpty, "a dry run appends nothing")

        let first = try jsonObject(try cli.succeed(["requeue"]).stdoutText)
        #expect(first["scanned"] as? Int == 5 && first["requeued"] as? Int == 2 && first["still_invalid"] as? Int == 1)
        #expect(first["not_requeueable"] as? Int == 2)
        let envelopes = try cli.succeed(["replay"]).stdoutLines.map(jsonObject)
        #expect(envelopes.map { $0["idempotency_key"] as? String } == ["k-1", "line-key"])
        #expect(envelopes.map { $0["v"] as? Int } == [3, 2])
        #expect(try cli.succeed(["replay", "--raw"]).stdoutLines == [v3, batchLine], "the payload bytes, unchanged")

        let second = try jsonObject(try cli.succeed(["requeue"]).stdoutText)
        #expect(second["requeued"] as? Int == 0 && second["already_in_log"] as? Int == 2, "running it again appends nothing")
        #expect(try cli.succeed(["replay"]).stdoutLines.count == 2)
    }
}
