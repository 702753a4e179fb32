import Foundation
import LogFormat
import LogStore
import SessionlogTestKit
import Testing

/// `sessionlog requeue` (SPEC §1.4) against a quarantine log holding what older rules rejected.
@Suite(.blocking) struct RequeueTests {
    static func quarantined(_ payload: String, code: String, source: String, key: String? = nil) -> AppendRecord {
        let reason = #"{"code":"\#(code)","path":"","message":"rejected by an older build","source":"\#(source)"}"#
        return AppendRecord(version: 0, producerUID: 1000, idempotencyKey: key, rejectReason: reason, payload: Array(payload.utf8))
    }

    /// A quarantine log at `path` holding `records`, as an older build left it.
    static func quarantineLog(_ path: String, _ records: [AppendRecord]) async throws {
        let writer = try LogWriter.open(directory: path, options: LogWriterOptions(kind: .quarantine))
        _ = try await writer.append(records)
        await writer.close()
    }

    static let v3 = PayloadFactory.minimalV3("requeued")
    static let batchLine = #"{"v":2,"kind":"start","session_id":"s-b","user_id":"u","site_id":"shop","started_at":1762000000000,"idempotency_key":"line-key"}"#

    /// While an ingress holds the log, `requeue` has the ingress do it: producers keep sending,
    /// requeued payloads keep their producer's uid, and their keys join the ingress's window.
    @Test func whileAnIngressRunsTheIngressRequeuesAndProducersKeepSending() async throws {
        let directory = try TemporaryDirectory()
        let (v3, batchLine) = (Self.v3, Self.batchLine)
        try await Self.quarantineLog(
            directory.file("data/rejected"),
            [
                Self.quarantined(v3, code: "invalid_value", source: "ingress:/v3/session", key: "k-1"),
                Self.quarantined(#"{"v":3}"#, code: "missing_field", source: "ingress:/v3/session"),
                Self.quarantined(batchLine, code: "wrong_type", source: "import:traffic.ndjson:7"),
            ])
        let ingress = try IngressTests.Running(in: directory)
        let client = try ingress.client()
        #expect(try client.call("POST", "/v2/session", body: IngressTests.v2).body == #"{"offset":0}"#)

        let requeue = try ingress.cli.succeed(["requeue"])
        #expect(requeue.stderr.contains("requeueing through it"), "\(requeue.stderr)")
        let summary = try jsonObject(requeue.stdoutText)
        #expect(summary["requeued"] as? Int == 2 && summary["still_invalid"] as? Int == 1 && summary["dry_run"] as? Bool == false)
        // A producer's retry under the requeued key is answered with the requeued record.
        let retry = try client.call("POST", "/v3/session", body: v3, headers: ["Idempotency-Key": "k-1"])
        #expect(retry.status == 200 && retry.body.hasPrefix(#"{"offset":1,"#), "\(retry.body)")
        #expect(try client.call("POST", "/v2/session", body: IngressTests.v2).body == #"{"offset":3}"#)
        let again = try jsonObject(try ingress.cli.succeed(["requeue"]).stdoutText)
        #expect(again["requeued"] as? Int == 0 && again["already_in_log"] as? Int == 2)
        #expect(ingress.stop().status == 0)

        let envelopes = try ingress.cli.succeed(["replay"]).stdoutLines.map(jsonObject)
        #expect(envelopes.map { $0["idempotency_key"] as? String } == [nil, "k-1", "line-key", nil])
        #expect(envelopes.map { $0["uid"] as? Int } == [Int(getuid()), 1000, 1000, Int(getuid())], "the producer's uid, kept")
        #expect(try ingress.cli.succeed(["replay", "--raw"]).stdoutLines == [IngressTests.v2, v3, batchLine, IngressTests.v2])
    }

    /// An ingress on another socket than the default: requeue says how to reach it.
    @Test func requeueFindsAnIngressOnAnotherSocketWhenToldWhere() throws {
        let directory = try TemporaryDirectory()
        let socket = directory.file("producers.sock")
        let ingress = try IngressTests.Running(["--socket", socket], in: directory)
        let lost = try ingress.cli.run(["requeue"])
        #expect(lost.status != 0 && lost.stderr.contains("pass --socket PATH"), "\(lost.stderr)")
        let found = try ingress.cli.succeed(["requeue", "--socket", socket])
        #expect(try jsonObject(found.stdoutText)["scanned"] as? Int == 0)
        #expect(ingress.stop().status == 0)
    }

    /// One requeue at a time: a second request while one runs is refused, not run twice.
    @Test func aSecondRequeueWhileOneRunsIsRefused() async throws {
        let directory = try TemporaryDirectory()
        var factory = PayloadFactory(seed: 4)
        let lines = factory.lines(20_000)
        try await Self.quarantineLog(
            directory.file("data/rejected"), lines.map { Self.quarantined($0, code: "invalid_value", source: "import:old.ndjson:1") })
        let ingress = try IngressTests.Running(in: directory)
        // The first requeue's answer comes when all 20,000 are durable: longer than the client's
        // default 10 s on a slow, busy machine (AddressSanitizer, tests in parallel).
        let (first, second) = (try ingress.client(receiveTimeoutSeconds: 300), try ingress.client())
        first.send(UnixHTTPClient.request("POST", "/requeue"))
        #expect(eventually { (try? ingress.client().call("GET", "/metrics").body.contains(#"sessionlog_requests_in_flight 1"#)) == true })
        let refused = try second.call("POST", "/requeue")
        #expect(refused.status == 409 && refused.body.contains("requeue_running"), "\(refused.body)")
        let answer = try first.readResponse()
        #expect(answer.status == 200)
        #expect(try jsonObject(answer.body)["requeued"] as? Int == lines.count)
        #expect(ingress.stop().status == 0)
        #expect(try ingress.cli.succeed(["replay", "--raw"]).stdoutLines.count == lines.count)
    }

    /// A payload over the size limit but kept whole (64 KiB or less) is requeued once the limit
    /// takes it; a longer one kept only its first 64 KiB and is never requeued.
    @Test func anOversizedPayloadKeptWholeIsRequeuedUnderALargerLimit() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cli = CLI(data: directory.path)
        let padded = { (bytes: Int) in
            #"{"v":3,"session_id":"s-big","user_id":"u","site_id":"shop","sent_at":1762000000000,"actions":[],"pad":""#
                + String(repeating: "x", count: bytes) + #""}"#
        }
        let (kept, truncated) = (padded(2_000), padded(70_000))
        let imported = try jsonObject(try cli.succeed(["import", "-", "--max-body", "1000"], input: ndjson([kept, truncated])).stdoutText)
        #expect(imported["quarantined"] as? Int == 2)

        let stillTooLarge = try jsonObject(try cli.succeed(["requeue", "--max-body", "1000"]).stdoutText)
        #expect(stillTooLarge["still_invalid"] as? Int == 1 && stillTooLarge["not_requeueable"] as? Int == 1, "\(stillTooLarge)")
        let requeued = try jsonObject(try cli.succeed(["requeue"]).stdoutText)
        #expect(requeued["requeued"] as? Int == 1 && requeued["not_requeueable"] as? Int == 1, "\(requeued)")
        #expect(try cli.succeed(["replay", "--raw"]).stdoutLines == [kept])
    }

    @Test func validPayloadsAreAppendedOnceUnderTheirKeysAndTheRestStays() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cli = CLI(data: directory.path)
        let (v3, batchLine) = (Self.v3, Self.batchLine)
        try await Self.quarantineLog(
            directory.file("rejected"),
            [
                Self.quarantined(v3, code: "invalid_value", source: "ingress:/v3/session", key: "k-1"),
                Self.quarantined(#"{"v":3}"#, code: "missing_field", source: "ingress:/v3/session"),
                Self.quarantined(String(repeating: "x", count: 100), code: "too_large", source: "ingress:/v3/session"),
                Self.quarantined(batchLine, code: "wrong_type", source: "import:traffic.ndjson:7"),
                Self.quarantined(v3, code: "idempotency_conflict", source: "ingress:/v3/session", key: "k-2"),
            ])

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
