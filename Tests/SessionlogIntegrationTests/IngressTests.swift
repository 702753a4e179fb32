import Foundation
import Synchronization
import SessionlogTestKit
import Testing

/// The real `sessionlog ingress` binary over its real Unix socket.
@Suite(.blocking) struct IngressTests {
    /// Starts an ingress on a fresh data directory and waits until it listens.
    final class Running {
        let dir: TemporaryDirectory
        let cli: CLI
        let process: ChildProcess
        /// `--socket`'s value when the arguments give one, else the default under the data directory.
        let socket: String

        /// Starts an ingress on `directory`'s `data` (a new directory by default); the ingress
        /// owns the directory and removes it when released.
        init(_ arguments: [String] = [], in directory: TemporaryDirectory? = nil) throws {
            dir = try directory ?? TemporaryDirectory()
            cli = CLI(data: dir.file("data"))
            process = try cli.spawn(["ingress"] + arguments)
            let socket = arguments.firstIndex(of: "--socket").map { arguments[$0 + 1] } ?? dir.file("data/ingress.sock")
            self.socket = socket
            guard eventually(seconds: 20, { (try? UnixHTTPClient(socketPath: socket)) != nil }) else {
                process.kill()
                throw POSIXError(.ETIMEDOUT)
            }
        }

        /// A new connection; `receiveTimeoutSeconds` as `UnixHTTPClient`'s.
        func client(receiveTimeoutSeconds: Int = UnixHTTPClient.receiveTimeoutSecondsDefault) throws -> UnixHTTPClient {
            try UnixHTTPClient(socketPath: socket, receiveTimeoutSeconds: receiveTimeoutSeconds)
        }

        /// SIGTERM; returns the exit status.
        func stop() -> ProcessResult {
            process.kill(SIGTERM)
            return process.wait()
        }

        /// A test that never called `stop()` must not leave its ingress running.
        deinit {
            if process.process.isRunning {
                process.kill()
                _ = process.wait()
            }
            dir.remove()
        }
    }

    static let v3 = #"{"v":3,"session_id":"s-1","user_id":"u-1","site_id":"shop","sent_at":1762000065000,"checkpoint":2,"actions":[{"type":"pageview","page_number":3,"path":"/cart","entered_at":1762000050000,"final":true},{"type":"goal","page_number":3,"name":"add_to_cart","at":1762000060000},{"type":"pageview","page_number":4,"path":"/checkout","entered_at":1762000063000}]}"#
    static let v2 = #"{"v":2,"kind":"start","session_id":"s-2","user_id":"u-1","site_id":"shop","started_at":1762000000000}"#
    static let v1 = #"{"v":1,"event_id":"e-1","event_type":"pageview","timestamp":"2025-06-03T10:15:00.250Z","session_id":"s-0","user_id":"u-7","project_id":"shop","page_url":"https://shop.example/","session_event_sequence":1}"#

    @Test func everyRouteAnswersAndTheLogHoldsTheExactBytes() throws {
        let ingress = try Running()
        let client = try ingress.client()
        let health = try client.call("GET", "/health")
        #expect(health.status == 200 && health.body == #"{"status":"ok"}"#)
        let third = try client.call("POST", "/v3/session", body: Self.v3)
        #expect(third.status == 200 && third.body == #"{"offset":0,"checkpoint":4}"#)
        #expect(try client.call("POST", "/v2/session", body: Self.v2).body == #"{"offset":1}"#)
        #expect(try client.call("POST", "/v1/events", body: Self.v1).body == #"{"offset":2}"#)
        #expect(try client.call("POST", "/v9/nothing", body: "{}").status == 404)
        let wrongMethod = try client.call("GET", "/v3/session")
        #expect(wrongMethod.status == 405 && wrongMethod.headers["allow"] == "POST")
        // HEAD is GET without the body, so the next answer on the connection is framed right.
        let head = try client.call("HEAD", "/health")
        #expect(head.status == 200 && head.headers["content-length"] == "15" && head.body.isEmpty)
        let headOnPost = try client.call("HEAD", "/v1/events")
        #expect(headOnPost.status == 405 && headOnPost.headers["allow"] == "POST" && headOnPost.body.isEmpty)
        #expect(try client.call("PUT", "/metrics").headers["allow"] == "GET, HEAD")
        #expect(try client.call("GET", "/health").body == #"{"status":"ok"}"#)
        let status = try ingress.cli.succeed(["status"]).stdoutLines[0]
        #expect(status.hasSuffix("; written by pid \(ingress.process.pid)"), "\(status)")
        #expect(ingress.stop().status == 0)
        #expect(try ingress.cli.succeed(["replay", "--raw"]).stdoutLines == [Self.v3, Self.v2, Self.v1])
        let envelope = try jsonObject(try ingress.cli.succeed(["replay", "--to-offset", "0"]).stdoutLines[0])
        #expect(envelope["uid"] as? Int == Int(getuid()) && envelope["v"] as? Int == 3)
        #expect(!FileManager.default.fileExists(atPath: ingress.socket), "the socket is removed on a clean stop")
    }

    @Test func invalidPayloadsGet400AndAreQuarantinedWithTheirReason() throws {
        let ingress = try Running(["--max-body", "70000"])
        let client = try ingress.client()
        let invalid = try client.call("POST", "/v3/session", body: #"{"v":3,"session_id":"s","user_id":"u","site_id":"x","sent_at":1,"actions":[{"type":"pageview","page_number":0,"path":"/","entered_at":1}]}"#)
        #expect(invalid.status == 400)
        let answer = try jsonObject(invalid.body)
        let error = try #require(answer["error"] as? [String: Any])
        #expect(error["code"] as? String == "out_of_range" && error["path"] as? String == "actions[0].page_number")
        #expect(answer["quarantined"] as? Int == 0)
        let mismatch = try jsonObject(try client.call("POST", "/v2/session", body: Self.v3).body)
        #expect((mismatch["error"] as? [String: Any])?["code"] as? String == "version_mismatch" && mismatch["quarantined"] as? Int == 1)
        let huge = #"{"v":3,"pad":""# + String(repeating: "x", count: 200_000) + #""}"#
        let tooLarge = try client.call("POST", "/v3/session", body: huge)
        #expect(tooLarge.status == 413)
        #expect(try client.call("POST", "/v3/session", body: Self.v3).status == 200, "the connection stays usable")
        #expect(ingress.stop().status == 0)
        let rejected = try ingress.cli.succeed(["replay", "--rejected"]).stdoutLines.map(jsonObject)
        #expect(rejected.count == 3)
        let reason = try #require(rejected[2]["reason"] as? [String: Any])
        #expect(reason["code"] as? String == "too_large" && reason["length"] as? Int == huge.utf8.count)
        #expect(reason["sha256"] as? String == Self.sha256Hex(huge))
        #expect((rejected[2]["payload_text"] as? String)?.utf8.count == 64 << 10)
        #expect(rejected.allSatisfy { $0["uid"] as? Int == Int(getuid()) })
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let ingress = try Running()
        let client = try ingress.client()
        client.send(
            UnixHTTPClient.request("POST", "/v1/events", body: Self.v1) + UnixHTTPClient.request("POST", "/v3/session", body: #"{"v":3}"#)
                + UnixHTTPClient.request("POST", "/v2/session", body: Self.v2) + UnixHTTPClient.request("GET", "/health"))
        let answers = try (0..<4).map { _ in try client.readResponse() }
        #expect(answers.map(\.status) == [200, 400, 200, 200])
        #expect(answers[0].body == #"{"offset":0}"# && answers[2].body == #"{"offset":1}"#)
        #expect(ingress.stop().status == 0)
    }

    /// A malformed request is answered 400 after the answers owed before it, then the connection
    /// closes; the valid request before it is durable.
    @Test func aMalformedRequestIsAnsweredInOrderThenTheConnectionCloses() throws {
        let ingress = try Running()
        let client = try ingress.client()
        client.send(UnixHTTPClient.request("POST", "/v2/session", body: Self.v2) + Array("NOT HTTP AT ALL\r\n\r\n".utf8))
        let first = try client.readResponse()
        #expect(first.status == 200 && first.body == #"{"offset":0}"#)
        let second = try client.readResponse()
        #expect(second.status == 400 && second.headers["connection"] == "close")
        #expect((try jsonObject(second.body)["error"] as? [String: Any])?["code"] as? String == "bad_request")
        #expect(throws: (any Error).self) { try client.readResponse() }
        #expect(try ingress.client().call("GET", "/health").status == 200)
        #expect(ingress.stop().status == 0)
    }

    /// A client that sends `Expect: 100-continue` (curl, for bodies over 1 MiB) gets the interim
    /// answer before it sends the body, then the final one.
    @Test func expect100ContinueGetsTheInterimAnswerBeforeTheBody() throws {
        let ingress = try Running()
        let client = try ingress.client()
        let body = Array(Self.v2.utf8)
        client.send(Array("POST /v2/session HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\nExpect: 100-continue\r\n\r\n".utf8))
        let interim = try client.readResponse()
        #expect(interim.statusLine == "HTTP/1.1 100 Continue")
        client.send(body)
        let final = try client.readResponse()
        #expect(final.status == 200 && final.body == #"{"offset":0}"#)
        #expect(ingress.stop().status == 0)
    }

    /// Payloads are kept as sent, so a compressed body is refused (415, naming the coding) rather
    /// than appended or quarantined as bytes no one can read; the connection stays open.
    @Test func aCompressedBodyIs415AndNothingIsKept() throws {
        let ingress = try Running()
        let client = try ingress.client()
        for route in ["/v2/session", "/batch"] {
            let gzipped: [UInt8] = [0x1F, 0x8B, 0x08, 0x00]
            client.send(Array("POST \(route) HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\n".utf8) + gzipped)
            let refused = try client.readResponse()
            #expect(refused.status == 415 && refused.headers["accept-encoding"] == "identity")
            let error = try jsonObject(refused.body)["error"] as? [String: Any]
            #expect(error?["code"] as? String == "unsupported_content_coding")
            #expect((error?["message"] as? String)?.contains("\"gzip\"") == true, "\(refused.body)")
        }
        client.send(Array("POST /v2/session HTTP/1.1\r\nHost: x\r\nContent-Encoding: identity\r\nContent-Length: \(Self.v2.utf8.count)\r\n\r\n\(Self.v2)".utf8))
        #expect(try client.readResponse().body == #"{"offset":0}"#)
        #expect(ingress.stop().status == 0)
        #expect(try ingress.cli.succeed(["replay", "--raw"]).stdoutLines == [Self.v2])
        #expect(try ingress.cli.succeed(["replay", "--rejected"]).stdoutLines.isEmpty)
    }

    /// A chunked body is joined and appended as if sent with Content-Length; a transfer coding
    /// other than chunked gets 501 and the connection closes.
    @Test func chunkedBodiesAreAcceptedAndOtherTransferCodingsAre501() throws {
        let ingress = try Running()
        let client = try ingress.client()
        let body = Array(Self.v2.utf8)
        let chunks = "10;ext=1\r\n" + String(decoding: body[..<16], as: UTF8.self) + "\r\n"
            + String(body.count - 16, radix: 16) + "\r\n" + String(decoding: body[16...], as: UTF8.self) + "\r\n0\r\nX-Trailer: t\r\n\r\n"
        client.send(Array("POST /v2/session HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\(chunks)".utf8))
        let accepted = try client.readResponse()
        #expect(accepted.status == 200 && accepted.body == #"{"offset":0}"#)
        client.send(Array("POST /v2/session HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n".utf8))
        let refused = try client.readResponse()
        #expect(refused.status == 501 && refused.headers["connection"] == "close")
        #expect((try jsonObject(refused.body)["error"] as? [String: Any])?["code"] as? String == "unsupported_transfer_coding")
        #expect(throws: (any Error).self) { try client.readResponse() }
        #expect(ingress.stop().status == 0)
        #expect(try ingress.cli.succeed(["replay", "--raw"]).stdoutLines == [Self.v2])
    }

    /// Request heads up to `--max-header-bytes` are served; a larger one gets 431 with a JSON error
    /// naming the limit, after the answers owed before it, then the connection closes.
    @Test func oversizedRequestHeadersGet431ThenTheConnectionCloses() throws {
        let ingress = try Running(["--max-header-bytes", "4096"])
        let client = try ingress.client()
        let fits = try client.call("GET", "/health", headers: ["X-Trace": String(repeating: "a", count: 3000)])
        #expect(fits.status == 200)
        client.send(
            UnixHTTPClient.request("POST", "/v2/session", body: Self.v2)
                + UnixHTTPClient.request("GET", "/health", headers: ["X-Trace": String(repeating: "a", count: 5000)]))
        #expect(try client.readResponse().status == 200)
        let refused = try client.readResponse()
        #expect(refused.status == 431 && refused.headers["connection"] == "close")
        let error = try jsonObject(refused.body)["error"] as? [String: Any]
        #expect(error?["code"] as? String == "headers_too_large")
        #expect((error?["message"] as? String)?.contains("4096 bytes") == true)
        #expect(throws: (any Error).self) { try client.readResponse() }
        #expect(ingress.stop().status == 0)
    }

    /// More requests pipelined than a connection may owe answers for (reads pause, then resume):
    /// every one is answered, in order, with dense offsets.
    @Test func deepPipeliningIsAnsweredInOrder() throws {
        let ingress = try Running()
        let client = try ingress.client()
        let count = 600
        client.send(Array((0..<count).map { UnixHTTPClient.request("POST", "/v2/session", body: Self.v2.replacingOccurrences(of: "s-2", with: "s-p\($0)")) }.joined()))
        let answers = try (0..<count).map { _ in try client.readResponse() }
        #expect(answers.allSatisfy { $0.status == 200 })
        #expect(try answers.map { try #require(try jsonObject($0.body)["offset"] as? Int) } == Array(0..<count))
        #expect(try client.call("GET", "/health").status == 200)
        #expect(ingress.stop().status == 0)
    }

    @Test func concurrentProducersAreAllDurableAndOffsetsAreDense() async throws {
        let ingress = try Running()
        let socket = ingress.socket
        let offsets = try await withThrowingTaskGroup(of: [Int].self) { group in
            for producer in 0..<8 {
                group.addTask {
                    let client = try UnixHTTPClient(socketPath: socket)
                    return try (0..<40).map { i in
                        let body = Self.v2.replacingOccurrences(of: "s-2", with: "s-\(producer)-\(i)")
                        let answer = try client.call("POST", "/v2/session", body: body)
                        return try #require(try jsonObject(answer.body)["offset"] as? Int)
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(offsets.sorted() == Array(0..<320))
        #expect(ingress.stop().status == 0)
        #expect(try ingress.cli.succeed(["replay", "--raw"]).stdoutLines.count == 320)
        try ingress.cli.succeed(["verify"])
    }

    @Test func aPeerOutsideTheAllowListIsRefused() throws {
        let ingress = try Running(["--allow-uid", String(getuid() &+ 4242)])
        let client = try ingress.client()
        #expect(throws: (any Error).self) { try client.call("GET", "/health") }
        #expect(ingress.stop().status == 0)
        let allowed = try Running(["--allow-uid", String(getuid())])
        #expect(try allowed.client().call("GET", "/health").status == 200)
        #expect(allowed.stop().status == 0)
    }

    static func sha256Hex(_ text: String) -> String {
        let result = try? ProcessRunner.run("/usr/bin/sha256sum", [], input: Array(text.utf8))
        return String(result?.stdoutText.prefix(64) ?? "")
    }
}

@Suite(.blocking) struct IdempotencyTests {
    typealias Running = IngressTests.Running

    @Test func aRetryGetsTheOriginalAnswerAndAppendsNothing() throws {
        let ingress = try Running()
        let client = try ingress.client()
        let first = try client.call("POST", "/v3/session", body: IngressTests.v3, headers: ["Idempotency-Key": "k-1"])
        #expect(first.status == 200)
        _ = try client.call("POST", "/v2/session", body: IngressTests.v2)
        let retry = try client.call("POST", "/v3/session", body: IngressTests.v3, headers: ["Idempotency-Key": "k-1"])
        #expect(retry.status == 200 && retry.body == first.body)
        // Another route, or other bytes, under the same key: 409, quarantined.
        let otherBytes = try client.call("POST", "/v3/session", body: IngressTests.v3 + " ", headers: ["Idempotency-Key": "k-1"])
        #expect(otherBytes.status == 409)
        let conflict = try jsonObject(otherBytes.body)
        #expect((conflict["error"] as? [String: Any])?["code"] as? String == "idempotency_conflict" && conflict["quarantined"] as? Int == 0)
        #expect(try client.call("POST", "/v2/session", body: IngressTests.v2, headers: ["Idempotency-Key": "k-1"]).status == 409)
        // A rejected payload does not claim its key.
        #expect(try client.call("POST", "/v1/events", body: "{}", headers: ["Idempotency-Key": "k-2"]).status == 400)
        #expect(try client.call("POST", "/v1/events", body: IngressTests.v1, headers: ["Idempotency-Key": "k-2"]).status == 200)
        #expect(ingress.stop().status == 0)
        #expect(try ingress.cli.succeed(["replay", "--raw"]).stdoutLines == [IngressTests.v3, IngressTests.v2, IngressTests.v1])
        let keys = try ingress.cli.succeed(["replay"]).stdoutLines.map { try jsonObject($0)["idempotency_key"] as? String }
        #expect(keys == ["k-1", nil, "k-2"])
    }

    /// Keys are 1–1024 characters, as a `/batch` line's `idempotency_key`: the window of a million
    /// keys stays within memory. A header outside that is rejected; its payload is quarantined.
    @Test func aHeaderKeyOutsideOneTo1024CharactersIsRejected() throws {
        let ingress = try Running()
        let client = try ingress.client()
        let long = try client.call("POST", "/v2/session", body: IngressTests.v2, headers: ["Idempotency-Key": String(repeating: "é", count: 1025)])
        #expect(long.status == 400, "\(long.body)")
        let error = try #require(try jsonObject(long.body)["error"] as? [String: Any])
        #expect(error["code"] as? String == "out_of_range" && (error["message"] as? String)?.contains("length 1025") == true)
        let empty = try client.call("POST", "/v2/session", body: IngressTests.v2, headers: ["Idempotency-Key": ""])
        #expect(empty.status == 400, "\(empty.body)")
        let longest = String(repeating: "é", count: 1024)
        #expect(try client.call("POST", "/v2/session", body: IngressTests.v2, headers: ["Idempotency-Key": longest]).status == 200)
        #expect(ingress.stop().status == 0)
        #expect(try ingress.cli.succeed(["replay", "--rejected", "--raw"]).stdoutLines == [IngressTests.v2, IngressTests.v2])
    }

    @Test func theWindowSurvivesARestart() throws {
        let ingress = try Running()
        let answer = try ingress.client().call("POST", "/v3/session", body: IngressTests.v3, headers: ["Idempotency-Key": "restart-1"])
        #expect(ingress.stop().status == 0)
        let restarted = try ingress.cli.spawn(["ingress"])
        defer { restarted.kill(SIGTERM); _ = restarted.wait() }
        #expect(eventually { (try? UnixHTTPClient(socketPath: ingress.socket)) != nil })
        let client = try UnixHTTPClient(socketPath: ingress.socket)
        let retry = try client.call("POST", "/v3/session", body: IngressTests.v3, headers: ["Idempotency-Key": "restart-1"])
        #expect(retry.status == 200 && retry.body == answer.body, "byte-identical answer, checkpoint included")
        #expect(try client.call("POST", "/v2/session", body: IngressTests.v2, headers: ["Idempotency-Key": "restart-1"]).status == 409)
        #expect(try client.call("POST", "/v2/session", body: IngressTests.v2).body == #"{"offset":1}"#, "the retry appended nothing")
    }

    /// The window is saved while the ingress runs (here every second), so after a kill -9 the
    /// next start loads that save and reads only the records appended after it; retries still
    /// get their original answers, for keys from before and after the save.
    @Test func theWindowSavedWhileRunningSpeedsTheStartAfterACrash() throws {
        let ingress = try Running(["--snapshot-interval", "1"])
        let client = try ingress.client()
        func send(_ key: String) throws -> UnixHTTPClient.Response {
            try client.call("POST", "/v3/session", body: IngressTests.v3.replacingOccurrences(of: "s-1", with: key), headers: ["Idempotency-Key": key])
        }
        let early = try (0..<3).map { try send("early-\($0)") }
        let snapshot = ingress.dir.file("data/log/idempotency.snapshot")
        func snapshotNext() -> UInt64? {
            guard let bytes = FileManager.default.contents(atPath: snapshot), bytes.count >= 16 else { return nil }
            return bytes[8..<16].reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
        #expect(eventually(seconds: 10) { snapshotNext() == 3 }, "saved within a few intervals, through offset 3")
        let late = try send("late")
        ingress.process.kill(SIGKILL)
        _ = ingress.process.wait()

        let restarted = try ingress.cli.spawn(["ingress"])
        defer {
            if restarted.process.isRunning {
                restarted.kill()
                _ = restarted.wait()
            }
        }
        #expect(eventually { (try? UnixHTTPClient(socketPath: ingress.socket)) != nil })
        let again = try UnixHTTPClient(socketPath: ingress.socket)
        for (index, answer) in early.enumerated() {
            let key = "early-\(index)"
            #expect(try again.call("POST", "/v3/session", body: IngressTests.v3.replacingOccurrences(of: "s-1", with: key), headers: ["Idempotency-Key": key]).body == answer.body)
        }
        #expect(try again.call("POST", "/v3/session", body: IngressTests.v3.replacingOccurrences(of: "s-1", with: "late"), headers: ["Idempotency-Key": "late"]).body == late.body)
        restarted.kill(SIGTERM)
        let stopped = restarted.wait()
        #expect(stopped.status == 0)
        #expect(stopped.stderr.contains("idempotency.snapshot_next=3") && stopped.stderr.contains("idempotency.read_from=3"), "\(stopped.stderr)")
        #expect(snapshotNext() == 4, "saved again at the stop")
    }

    @Test func concurrentRetriesAppendOnce() async throws {
        let ingress = try Running()
        let socket = ingress.socket
        let answers = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    try UnixHTTPClient(socketPath: socket).call("POST", "/v2/session", body: IngressTests.v2, headers: ["Idempotency-Key": "same"]).body
                }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(answers) == [#"{"offset":0}"#])
        #expect(ingress.stop().status == 0)
        #expect(try ingress.cli.succeed(["replay", "--raw"]).stdoutLines.count == 1)
    }
}

/// SIGKILL of the ingress under load, repeatedly: what was answered 200 is in the log exactly once.
@Suite(.serialized, .blocking) struct IngressCrashTests {
    @Test func everyAcknowledgedPayloadSurvivesKill9UnderLoadExactlyOnce() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cli = CLI(data: dir.file("data"))
        let socket = dir.file("data/ingress.sock")
        var acknowledged = [Int: String]()  // offset → body
        var random = PayloadFactory(seed: 99)
        for round in 0..<20 {
            let ingress = try cli.spawn(["ingress"])
            #expect(eventually { (try? UnixHTTPClient(socketPath: socket)) != nil }, "round \(round): ingress did not start")
            let results = Mutex<[(Int, String)]>([])
            let producers = (0..<4).map { producer in
                Thread {
                    guard let client = try? UnixHTTPClient(socketPath: socket) else { return }
                    for i in 0..<10_000 {
                        let body = IngressTests.v2.replacingOccurrences(of: "s-2", with: "s-\(round)-\(producer)-\(i)")
                        guard let answer = try? client.call("POST", "/v2/session", body: body), answer.status == 200,
                            let offset = (try? jsonObject(answer.body))?["offset"] as? Int
                        else { return }
                        results.withLock { $0.append((offset, body)) }
                    }
                }
            }
            producers.forEach { $0.start() }
            #expect(eventually(seconds: 30) { !results.withLock { $0.isEmpty } }, "round \(round): nothing acknowledged")
            usleep(UInt32(20_000 + random.next(250_000)))
            ingress.kill(SIGKILL)
            _ = ingress.wait()
            while producers.contains(where: { $0.isExecuting }) { usleep(5_000) }
            for (offset, body) in results.withLock({ $0 }) {
                #expect(acknowledged[offset] == nil, "offset \(offset) acknowledged twice")
                acknowledged[offset] = body
            }
            // Recovery happens when the next writer opens the log; replay what it holds now.
            try cli.succeed(["import", "-"], input: [])
            let lines = try cli.succeed(["replay", "--raw"]).stdoutLines
            for (offset, body) in acknowledged { #expect(offset < lines.count && lines[offset] == body, "round \(round): offset \(offset)") }
            #expect(Set(lines).count == lines.count, "round \(round): a payload appears twice")
            try cli.succeed(["verify"])
        }
        #expect(acknowledged.count >= 20, "every round acknowledges payloads before its kill")
    }
}

@Suite(.blocking) struct BatchRouteTests {
    @Test func aBatchAnswersOneLinePerPayloadInOrder() throws {
        let ingress = try IngressTests.Running()
        let client = try ingress.client()
        let keyed = IngressTests.v1.replacingOccurrences(of: #""v":1,"#, with: #""v":1,"idempotency_key":"line-key","#)
        let lines = [IngressTests.v3, #"{"v":3}"#, keyed, "", IngressTests.v2, #"{"v":7}"#]
        let answer = try client.call("POST", "/batch", body: lines.joined(separator: "\n") + "\n")
        #expect(answer.status == 200 && answer.headers["content-type"] == "application/x-ndjson")
        let results = try answer.body.split(separator: "\n").map { try jsonObject(String($0)) }
        #expect(results.count == 6)
        #expect(results.map { $0["status"] as? Int } == [200, 400, 200, 400, 200, 400])
        #expect(results[0]["offset"] as? Int == 0 && results[0]["checkpoint"] as? Int == 4)
        #expect(results[2]["offset"] as? Int == 1 && results[4]["offset"] as? Int == 2)
        #expect((results[5]["error"] as? [String: Any])?["code"] as? String == "invalid_value")
        #expect(results.compactMap { $0["quarantined"] as? Int }.sorted() == [0, 1, 2])
        // Retrying the keyed line replays its answer; its key also guards the single routes.
        let retry = try client.call("POST", "/batch", body: keyed)
        #expect(retry.body == #"{"offset":1,"status":200}"# + "\n")
        #expect(try client.call("POST", "/v1/events", body: keyed, headers: ["Idempotency-Key": "line-key"]).body == #"{"offset":1}"#)
        #expect(ingress.stop().status == 0)
        #expect(try ingress.cli.succeed(["replay", "--raw"]).stdoutLines == [IngressTests.v3, keyed, IngressTests.v2])
        let sources = try ingress.cli.succeed(["replay", "--rejected"]).stdoutLines.map {
            try #require(try jsonObject($0)["reason"] as? [String: Any])["source"] as? String
        }
        #expect(sources == ["ingress:/batch:2", "ingress:/batch:4", "ingress:/batch:6"])
    }
}

/// Disk full on a real, size-limited tmpfs under the running ingress.
@Suite(.serialized, .blocking) struct IngressDiskFullTests {
    @Test func aFullDiskAnswers503AndTheIngressRecoversWithoutRestart() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let disk = try SizeLimitedDisk(at: dir.file("data"), kibibytes: 2048, free: 1024)
        defer { disk.unmount() }
        let data = disk.path

        let cli = CLI(data: data)
        let ingress = try cli.spawn(["ingress"])
        let socket = data + "/ingress.sock"
        try #require(eventually { (try? UnixHTTPClient(socketPath: socket)) != nil })
        let client = try UnixHTTPClient(socketPath: socket)
        var random = PayloadFactory(seed: 3)
        func payload() -> String {
            let noise = (0..<30_000).map { _ in String(random.next(36), radix: 36) }.joined()
            return IngressTests.v2.replacingOccurrences(of: #""v":2,"#, with: #""v":2,"noise":"\#(noise)","#)
        }
        var acknowledged = [Int: String]()
        var full: UnixHTTPClient.Response?
        for _ in 0..<200 {
            let body = payload()
            let answer = try client.call("POST", "/v2/session", body: body)
            if answer.status == 503 {
                full = answer
                break
            }
            #expect(answer.status == 200)
            acknowledged[try #require(try jsonObject(answer.body)["offset"] as? Int)] = body
        }
        let unavailable = try #require(full, "the disk never filled")
        #expect(unavailable.headers["retry-after"] == "1")
        #expect((try jsonObject(unavailable.body)["error"] as? [String: Any])?["code"] as? String == "unavailable")
        #expect(acknowledged.count > 3)

        try disk.makeRoom()
        let after = payload()
        let recovered = try client.call("POST", "/v2/session", body: after)
        #expect(recovered.status == 200, "appends succeed again once space returns, without a restart")
        acknowledged[try #require(try jsonObject(recovered.body)["offset"] as? Int)] = after

        ingress.kill(SIGTERM)
        let stopped = ingress.wait()
        #expect(stopped.status == 0)
        #expect(stopped.stderr.contains("disk full") && stopped.stderr.contains("space again"), "both transitions are logged once")
        #expect(stopped.stderr.components(separatedBy: "disk full").count == 2)
        let lines = try cli.succeed(["replay", "--raw"]).stdoutLines
        #expect(lines.count == acknowledged.count)
        for (offset, body) in acknowledged { #expect(lines[offset] == body) }
        try cli.succeed(["verify"])
    }
}

@Suite(.blocking) struct SendCommandTests {
    @Test func sendPostsEveryLineAndSummarizesTheAnswers() throws {
        let ingress = try IngressTests.Running()
        var factory = PayloadFactory(seed: 8)
        let valid = factory.lines(700)
        // The last one's answer quotes what looks like the members send reads (status, code).
        let lines = valid + [#"{"v":3}"#, "nonsense", #"{"v":1,"event_id":"e"}"#, #"{"v":1,"event_id":"e","event_type":"\",\"status\":200,\"code\":\"x"}"#]
        let file = ingress.dir.file("traffic.ndjson")
        try Data(ndjson(lines)).write(to: URL(fileURLWithPath: file))
        let result = try ingress.cli.succeed(["send", file, "--connections", "3", "--batch-lines", "64"])
        let summary = try jsonObject(result.stdoutLines.last ?? "")
        #expect(summary["lines"] as? Int == lines.count && summary["accepted"] as? Int == valid.count)
        #expect(summary["rejected"] as? Int == 4 && summary["unanswered"] as? Int == 0)
        #expect((summary["rejected_by_code"] as? [String: Int]) == ["missing_field": 2, "invalid_json": 1, "unknown_event_type": 1], "\(summary)")
        #expect(ingress.stop().status == 0)
        #expect(Set(try ingress.cli.succeed(["replay", "--raw"]).stdoutLines) == Set(valid))
    }

    /// Batches on several connections may interleave; on one connection the log keeps the
    /// files' order, as `send --help` promises.
    @Test func sendOnOneConnectionAppendsInTheFilesOrder() throws {
        let ingress = try IngressTests.Running()
        var factory = PayloadFactory(seed: 9)
        let (first, second) = (factory.lines(300), factory.lines(200))
        let files = [ingress.dir.file("a.ndjson"), ingress.dir.file("b.ndjson")]
        try Data(ndjson(first)).write(to: URL(fileURLWithPath: files[0]))
        try Data(ndjson(second)).write(to: URL(fileURLWithPath: files[1]))
        try ingress.cli.succeed(["send"] + files + ["--connections", "1", "--batch-lines", "16"])
        #expect(ingress.stop().status == 0)
        #expect(try ingress.cli.succeed(["replay", "--raw"]).stdoutLines == first + second)
    }

    /// A producer piping into `send -` has each line sent as it arrives, byte for byte: a line
    /// that is not UTF-8 reaches the quarantine as it was, not "repaired".
    @Test func sendStreamsAPipeAndKeepsEveryByte() throws {
        let ingress = try IngressTests.Running()
        let sender = try ingress.cli.spawn(["send", "-"], readsInput: true)
        defer { sender.kill(SIGKILL) }
        sender.write(ndjson([PayloadFactory.minimalV3("first")]))
        let sentBeforeEnd = eventually(seconds: 10) {
            (try? ingress.cli.succeed(["replay", "--raw"]).stdoutLines) == [PayloadFactory.minimalV3("first")]
        }
        #expect(sentBeforeEnd, "the line went out while the pipe was still open")
        let notUTF8: [UInt8] = Array(#"{"v":1,"event_id":"e-"#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8) + [UInt8(ascii: "\n")]
        sender.write(notUTF8)
        sender.closeInput()
        let result = sender.wait()
        let summary = try jsonObject(result.stdoutText)
        #expect(summary["lines"] as? Int == 2 && summary["accepted"] as? Int == 1, "\(result.stdoutText)")
        #expect((summary["rejected_by_code"] as? [String: Int]) == ["invalid_utf8": 1])
        let quarantined = try ingress.cli.succeed(["replay", "--rejected"]).stdoutLines
        let envelope = try jsonObject(try #require(quarantined.first))
        #expect(envelope["payload_base64"] as? String == Data(notUTF8.dropLast()).base64EncodedString(), "the bytes as sent")
    }

    @Test func aSocketPathThatCannotBeBoundIsRefusedClearly() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cli = CLI(data: dir.file("data"))
        let missing = try cli.run(["ingress", "--socket", dir.file("missing/ingress.sock")])
        #expect(missing.status != 0, "\(missing.stderr)")
        #expect(missing.stderr.contains("cannot create the socket \(dir.file("missing/ingress.sock")): the directory \(dir.file("missing")) does not exist"))
        let long = try cli.run(["ingress", "--socket", dir.file(String(repeating: "s", count: 110) + ".sock")])
        #expect(long.status != 0 && long.stderr.contains("is too long") && long.stderr.contains("at most 107 bytes"), "\(long.stderr)")
    }

    @Test func sendWithoutAnIngressFailsClearly() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try CLI(data: dir.path).run(["send", "-"], input: ndjson([PayloadFactory.minimalV3("x")]))
        #expect(result.status == 1)
        #expect(result.stdoutText.contains("is the ingress running?"))
    }
}

@Suite(.blocking) struct IngressLimitTests {
    @Test func aSlowLorisClientIsDisconnectedAndOthersAreServed() throws {
        let ingress = try IngressTests.Running(["--request-timeout-ms", "300"])
        let slow = try ingress.client()
        slow.send(Array("POST /v2/session HTTP/1.1\r\nHost: x\r\nContent-Le".utf8))  // never finishes
        let started = Date()
        #expect(throws: (any Error).self) { try slow.readResponse() }
        #expect(Date().timeIntervalSince(started) < 5, "closed by the request deadline, not the client's timeout")
        // A connection whose requests each complete in time stays open past the timeout...
        let prompt = try ingress.client()
        for _ in 0..<4 {
            #expect(try prompt.call("GET", "/health").status == 200)
            Thread.sleep(forTimeInterval: 0.15)
        }
        // ...and once it idles, keep-alive or not, it is closed the same way.
        let idleSince = Date()
        #expect(throws: (any Error).self) { try prompt.readResponse() }
        #expect(Date().timeIntervalSince(idleSince) < 5, "an idle connection is closed by the request deadline")
        #expect(ingress.stop().status == 0)
    }

    /// A client pipelining requests for large answers (`/metrics`, kilobytes each) and never
    /// reading them: unbounded, the ingress would buffer every answer. Its memory stays put, and
    /// it goes on serving others.
    @Test func aClientThatDoesNotReadItsAnswersIsNotBufferedFor() throws {
        let ingress = try IngressTests.Running([])
        let answerBytes = try ingress.client().call("GET", "/metrics").body.utf8.count
        let before = try #require(Self.residentBytes(ingress.process.pid))
        let requests = 20_000
        let chunk = Array(repeating: UnixHTTPClient.request("GET", "/metrics"), count: 1000).flatMap { $0 }
        let socket = ingress.socket
        let sending = DispatchSemaphore(value: 0)
        let sender = Thread {
            guard let greedy = try? UnixHTTPClient(socketPath: socket) else { return }
            sending.signal()
            // Blocks once the socket's buffers are full; returns when the ingress stops.
            for _ in 0..<(requests / 1000) { greedy.send(chunk) }
        }
        sender.start()
        #expect(sending.wait(timeout: .now() + 10) == .success, "the greedy client connects")
        Thread.sleep(forTimeInterval: 3)
        let after = try #require(Self.residentBytes(ingress.process.pid))
        #expect(after - before < requests * answerBytes / 4, "RSS grew from \(before) to \(after) bytes (answers of \(answerBytes) bytes)")
        #expect(try ingress.client().call("GET", "/health").status == 200)
        #expect(ingress.stop().status == 0)
        while !sender.isFinished { Thread.sleep(forTimeInterval: 0.01) }
    }

    /// A process's resident set in bytes (`VmRSS`).
    static func residentBytes(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
        else { return nil }
        return kilobytes * 1024
    }

    @Test func anHTTP10ClientGetsHTTP10AnswersAndKeepAliveOnlyWhenAsked() throws {
        let ingress = try IngressTests.Running([])
        let client = try ingress.client()
        client.send(Array("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".utf8))
        let kept = try client.readResponse()
        #expect(kept.status == 200)
        #expect(kept.statusLine == "HTTP/1.0 200 OK")
        #expect(kept.headers["connection"] == "keep-alive")
        client.send(Array("GET /health HTTP/1.0\r\n\r\n".utf8))
        let closing = try client.readResponse()
        #expect(closing.headers["connection"] == "close")
        #expect(throws: (any Error).self) { try client.readResponse() }
        #expect(ingress.stop().status == 0)
    }

    @Test func connectionsBeyondTheLimitAreClosed() throws {
        let ingress = try IngressTests.Running(["--max-connections", "2"])
        // The startup probe's connection may still be counted for a moment: retry until two are held.
        func healthyConnection() -> UnixHTTPClient? {
            for _ in 0..<100 {
                if let client = try? ingress.client(), (try? client.call("GET", "/health"))?.status == 200 { return client }
                usleep(20_000)
            }
            return nil
        }
        let held = [healthyConnection(), healthyConnection()]
        #expect(held.allSatisfy { $0 != nil })
        let third = try ingress.client()
        #expect(throws: (any Error).self) { try third.call("GET", "/health") }
        #expect(ingress.stop().status == 0)
    }
}

@Suite(.blocking) struct MetricsTests {
    @Test func metricsCountAppendsRejectsGroupsAndFsyncs() throws {
        let ingress = try IngressTests.Running()
        let client = try ingress.client()
        _ = try client.call("POST", "/v3/session", body: IngressTests.v3)
        _ = try client.call("POST", "/v2/session", body: IngressTests.v2)
        _ = try client.call("POST", "/v1/events", body: "{}")
        _ = try client.call("POST", "/batch", body: IngressTests.v2.replacingOccurrences(of: "s-2", with: "s-9") + "\n[]\n")
        _ = try client.call("POST", "/v3/session", body: IngressTests.v3.replacingOccurrences(of: "s-1", with: "s-k"), headers: ["Idempotency-Key": "k-1"])
        let metrics = try client.call("GET", "/metrics")
        #expect(metrics.status == 200 && metrics.headers["content-type"]?.hasPrefix("text/plain") == true)
        let lines = Set(metrics.body.split(separator: "\n").map(String.init))
        #expect(lines.contains(#"sessionlog_appended_records_total{log="main"} 4"#))
        #expect(lines.contains(#"sessionlog_appended_records_total{log="quarantine"} 2"#))
        #expect(lines.contains("sessionlog_idempotency_keys 1"))
        #expect(lines.contains(#"sessionlog_rejects_total{code="missing_field"} 1"#))
        #expect(lines.contains(#"sessionlog_rejects_total{code="wrong_type"} 1"#))
        #expect(lines.contains(#"sessionlog_requests_total{route="/v3/session",status="200"} 2"#))
        #expect(lines.contains(#"sessionlog_requests_total{route="/v1/events",status="400"} 1"#))
        #expect(lines.contains(where: { $0.hasPrefix(#"sessionlog_fsync_seconds_count{log="main"} "#) && !$0.hasSuffix(" 0") }))
        #expect(lines.contains(#"sessionlog_group_commit_records_bucket{log="main",le="+Inf"} 4"#))
        #expect(lines.contains(#"sessionlog_queued_bytes{log="main"} 0"#))
        #expect(lines.contains(#"sessionlog_group_commit_records_bucket{log="quarantine",le="+Inf"} 2"#))
        Self.expectOneGroupPerFamily(metrics.body)
        #expect(ingress.stop().status == 0)
    }

    /// Text format 0.0.4: one TYPE line per family, and each family's samples in one group after
    /// it (a histogram's `_bucket`, `_sum` and `_count` included).
    static func expectOneGroupPerFamily(_ text: String) {
        var seen = Set<String>()
        var current: String?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let family = String(line.split(separator: " ")[2])
                #expect(seen.insert(family).inserted, "a second TYPE line for \(family)")
                current = family
            } else if !line.hasPrefix("#") {
                let name = line.prefix { $0 != "{" && $0 != " " }
                let family = ["_bucket", "_sum", "_count"].reduce(String(name)) { name, suffix in
                    name.hasSuffix(suffix) && seen.contains(String(name.dropLast(suffix.count))) ? String(name.dropLast(suffix.count)) : name
                }
                #expect(family == current, "\(line) is outside its family's group")
            }
        }
    }
}

@Suite(.blocking) struct IngressShutdownTests {
    @Test func sigtermUnderLoadFinishesInFlightRequestsAndLosesNothing() throws {
        let ingress = try IngressTests.Running()
        let socket = ingress.socket
        let acknowledged = Mutex<[Int: String]>([:])
        let refused = Mutex(0)
        let producers = (0..<4).map { producer in
            Thread {
                guard let client = try? UnixHTTPClient(socketPath: socket) else { return }
                for i in 0..<100_000 {
                    let body = IngressTests.v2.replacingOccurrences(of: "s-2", with: "s-\(producer)-\(i)")
                    guard let answer = try? client.call("POST", "/v2/session", body: body) else { return }
                    if answer.status == 503 {
                        refused.withLock { $0 += 1 }
                        return
                    }
                    guard let offset = (try? jsonObject(answer.body))?["offset"] as? Int else { return }
                    acknowledged.withLock { $0[offset] = body }
                }
            }
        }
        producers.forEach { $0.start() }
        #expect(eventually(seconds: 30) { acknowledged.withLock { $0.count } > 10 })
        usleep(100_000)
        let result = ingress.stop()
        while !producers.allSatisfy(\.isFinished) { usleep(5_000) }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("draining") && result.stderr.contains("stopped"))
        let lines = try ingress.cli.succeed(["replay", "--raw"]).stdoutLines
        let acked = acknowledged.withLock { $0 }
        #expect(!acked.isEmpty)
        #expect(lines.count == acked.count, "every appended record was answered, and every answered one is there")
        for (offset, body) in acked { #expect(lines[offset] == body) }
        try ingress.cli.succeed(["verify"])
    }
}

@Suite(.blocking) struct LoadGeneratorTests {
    /// Tools/loadgen.py against the real ingress: producer behaviour (checkpoint trimming, identical
    /// retries, 400 for invalid payloads) holds under concurrent load — also on a second run with
    /// the same seed, whose keys must not collide with the first run's (they did: 409s), and
    /// with its producers split over two client processes.
    @Test func theLoadGeneratorRunsCleanAgainstTheIngress() throws {
        let ingress = try IngressTests.Running()
        let loadgen = PythonTool("loadgen.py")
        for processes in ["1", "2"] {
            let result = try loadgen.run(
                ["--socket", ingress.socket, "--concurrency", "4", "--duration", "1", "--processes", processes])
            #expect(result.status == 0, "\(result.stdoutText) \(result.stderr)")
            let summary = try jsonObject(result.stdoutLines.last ?? "{}")
            #expect((summary["requests"] as? Int ?? 0) > 0 && summary["violations"] as? Int == 0)
            #expect((summary["status"] as? [String: Int])?["409"] == nil, "\(summary)")
            #expect((summary["client_cpu"] as? Double).map { $0 > 0 && $0 <= 1.05 } == true, "\(summary)")
        }
        let unreachable = try loadgen.run(["--socket", ingress.dir.file("none.sock"), "--duration", "1"])
        #expect(unreachable.status == 1 && unreachable.stderr.contains("cannot connect to") && unreachable.stdout.isEmpty, "\(unreachable.stderr)")
        #expect(ingress.stop().status == 0)
        try ingress.cli.succeed(["verify"])
        // Mixed traffic: all three versions, V2 renewals, and V3 sessions a V2 context started.
        let envelopes = try ingress.cli.succeed(["replay"]).stdoutLines.map { try jsonObject($0) }
        let payloads = envelopes.compactMap { $0["payload"] as? [String: Any] }
        #expect(Set(envelopes.compactMap { $0["v"] as? Int }) == [1, 2, 3])
        #expect(payloads.contains { $0["kind"] as? String == "renew" })
        let started = Set(payloads.filter { $0["v"] as? Int == 2 }.compactMap { $0["session_id"] as? String })
        #expect(payloads.contains { $0["v"] as? Int == 3 && started.contains($0["session_id"] as? String ?? "") })
    }

    /// The ingress is killed (SIGKILL) under the load generator and started again on the same data:
    /// the producers reconnect and resend their keyed requests in flight, every answer still keeps
    /// the rules, and Tools/check_acked.py finds every acknowledged record in the log with its bytes.
    @Test func theLoadGeneratorReconnectsAndEveryAcknowledgedRecordIsInTheLog() throws {
        let first = try IngressTests.Running()
        let acked = first.dir.file("acked.txt")
        let load = try PythonTool("loadgen.py").spawn(
            ["--socket", first.socket, "--concurrency", "4", "--duration", "6", "--rate", "400", "--acked", acked])
        let appended = {
            let status = try jsonObject(try first.cli.run(["status", "--format", "json"]).stdoutText)
            return (status["log"] as? [String: Any])?["end_offset"] as? Int ?? 0
        }
        #expect(try eventually(seconds: 10) { try appended() > 100 }, "the load generator appends before the kill")
        first.process.kill(SIGKILL)
        _ = first.process.wait()
        usleep(300_000)  // producers find the socket refusing and back off
        let second = try IngressTests.Running(in: first.dir)
        let result = load.wait()
        #expect(result.status == 0, "\(result.stdoutText) \(result.stderr)")
        let summary = try jsonObject(result.stdoutLines.last ?? "{}")
        #expect((summary["reconnects"] as? Int ?? 0) >= 1 && summary["violations"] as? Int == 0, "\(summary)")
        #expect(second.stop().status == 0)
        let envelopes = try second.cli.succeed(["replay"]).stdout
        let checkAcked = { try PythonTool("check_acked.py").run([acked], input: envelopes) }
        let check = try checkAcked()
        #expect(check.status == 0, "\(check.stdoutText) \(check.stderr)")
        let counts = try jsonObject(check.stdoutText)
        #expect((counts["acked"] as? Int ?? 0) > 0 && counts["found"] as? Int == counts["acked"] as? Int, "\(counts)")
        // The check can fail: an acknowledgement the log does not hold is found missing.
        try (String(contentsOfFile: acked, encoding: .utf8) + "\(1 << 40) \(String(repeating: "0", count: 64))\n")
            .write(toFile: acked, atomically: false, encoding: .utf8)
        let forged = try checkAcked()
        #expect(try forged.status == 1 && jsonObject(forged.stdoutText)["missing"] as? Int == 1, "\(forged.stdoutText)")
        try second.cli.succeed(["verify"])
    }
}

/// SO_PEERCRED with a real second user (`nobody`, via setpriv; needs root, as CI has).
@Suite(.serialized, .blocking) struct PeerCredentialTests {
    /// Runs curl as uid/gid 65534 against the socket; returns curl's result.
    static func curlAsNobody(_ socket: String, _ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.run(
            "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/curl", "-s", "--unix-socket", socket] + arguments)
    }

    static func openToOthers(_ ingress: IngressTests.Running) {
        // What an operator does to let another user's producers in: reachable directories and a
        // socket their group can write (here: everyone, for the test).
        for path in [ingress.dir.path, ingress.dir.file("data")] { chmod(path, 0o755) }
        chmod(ingress.socket, 0o666)
    }

    @Test func anotherUserIsRefusedUnlessAllowedAndItsUidIsRecorded() throws {
        let refusing = try IngressTests.Running(["--allow-uid", "0"])
        Self.openToOthers(refusing)
        let refused = try Self.curlAsNobody(refusing.socket, ["http://localhost/health"])
        #expect(refused.status != 0 && refused.stdout.isEmpty, "closed unanswered (curl: \(refused.status))")
        #expect(try refusing.client().call("GET", "/health").status == 200, "root is allowed")
        #expect(refusing.stop().status == 0)

        let allowing = try IngressTests.Running(["--allow-uid", "65534"])
        Self.openToOthers(allowing)
        let accepted = try Self.curlAsNobody(allowing.socket, ["-d", IngressTests.v2, "http://localhost/v2/session"])
        #expect(accepted.status == 0 && accepted.stdoutText == #"{"offset":0}"#, "\(accepted.stdoutText) \(accepted.stderr)")
        #expect(allowing.stop().status == 0)
        let envelope = try jsonObject(try allowing.cli.succeed(["replay"]).stdoutLines[0])
        #expect(envelope["uid"] as? Int == 65534, "the peer's uid is stored with the record")
    }

    /// Requeueing through the ingress appends to the log as the ingress's own user would: it is
    /// for that user and root, not for producers.
    @Test func requeueThroughTheIngressIsRefusedToAnotherUser() throws {
        let ingress = try IngressTests.Running(["--allow-uid", "65534", "--allow-uid", "0"])
        Self.openToOthers(ingress)
        let refused = try Self.curlAsNobody(ingress.socket, ["-X", "POST", "http://localhost/requeue"])
        let error = try jsonObject(refused.stdoutText)["error"] as? [String: Any]
        #expect(error?["code"] as? String == "forbidden", "\(refused.stdoutText)")
        #expect((error?["message"] as? String)?.contains("not uid 65534") == true)
        #expect(try ingress.client().call("POST", "/requeue").status == 200, "root may")
        #expect(ingress.stop().status == 0)
    }
}

/// Other users than the data's owner (`nobody`, via setpriv; needs root, as CI has).
@Suite(.blocking) struct OtherUsersTests {
    /// Data that belongs to a service user: root's writers refuse it (the files they would create
    /// would lock the service out) and say whom to run as; the owner's run, and anyone's reads.
    @Test func writersRefuseDataThatBelongsToAnotherUser() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let data = dir.file("data")
        let cli = CLI(data: data)
        try cli.succeed(["import", "-"], input: ndjson([PayloadFactory.minimalV3("owned")]))
        chmod(dir.path, 0o755)
        for path in [data] + (FileManager.default.enumerator(atPath: data)?.allObjects as? [String] ?? []).map({ data + "/" + $0 }) {
            chown(path, 65534, 65534)
        }
        for command in [["rebuild", "pages"], ["project", "pages", "--once"], ["import", "-"], ["ingress"], ["up"]] {
            let refused = try cli.run(command, input: ndjson([PayloadFactory.minimalV3("refused")]))
            #expect(refused.status != 0 && refused.stderr.contains("\(data) belongs to nobody, but `sessionlog \(command[0])` runs as root"), "\(refused.stderr)")
            #expect(refused.stderr.contains("sudo -u nobody sessionlog \(command[0])"))
        }
        try cli.succeed(["project", "pages", "--once", "--db", dir.file("asof.db")])
        let owner = try ProcessRunner.run(
            "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", SessionlogBinary.path, "project", "pages", "--once", "--data", data])
        #expect(owner.status == 0, "\(owner.stderr)")
        #expect(try cli.succeed(["query", "pages"]).status == 0)
        #expect(try cli.succeed(["replay", "--raw"]).stdoutLines == [PayloadFactory.minimalV3("owned")])
    }

    /// An auditor may read the data but not create files in it: once the projector has stopped,
    /// query and status still open its build (SQLite reads a WAL database read-only only while
    /// its -wal and -shm files exist, and the projector leaves them).
    @Test func aReaderWhoCannotWriteTheDirectoryQueriesAStoppedProjection() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cli = CLI(data: dir.file("data"))
        try cli.succeed(["import", "-"], input: ndjson([PayloadFactory.minimalV3("audited")]))
        try cli.succeed(["project", "sessions", "--once"])
        chmod(dir.path, 0o755)  // others may enter, not create
        let asNobody = { (arguments: [String]) in
            try ProcessRunner.run(
                "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", SessionlogBinary.path] + arguments + ["--data", dir.file("data")])
        }
        let query = try asNobody(["query", "sessions", "--format", "json"])
        #expect(query.status == 0 && query.stdoutText.contains(#""session_id":"s-1""#), "\(query.stderr)")
        let status = try asNobody(["status"])
        #expect(status.status == 0 && status.stdoutText.contains("sessions     v3     1"), "\(status.stderr)")
    }
}

@Suite(.blocking) struct BackpressureTests {
    /// With an in-flight limit smaller than one request, no connection reads while a request is
    /// in flight: concurrent producers are slowed down, never refused, and everything is appended.
    @Test func overTheInFlightLimitConnectionsPauseAndEverythingStillCompletes() throws {
        let ingress = try IngressTests.Running(["--max-pending-bytes", "0"])
        let socket = ingress.socket
        let failures = Mutex(0)
        let done = DispatchGroup()
        for producer in 0..<4 {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                guard let client = try? UnixHTTPClient(socketPath: socket) else {
                    failures.withLock { $0 += 1 }
                    return
                }
                // Bodies over 256 KiB take several read rounds, so reads happen while other requests are in flight.
                for request in 0..<5 {
                    let lines = (0..<1500).map { IngressTests.v2.replacingOccurrences(of: "s-2", with: "s-\(producer)-\(request)-\($0)") }
                    let answer = try? client.call("POST", "/batch", body: lines.joined(separator: "\n") + "\n")
                    if answer?.status != 200 || answer?.body.contains("\"status\":200") != true { failures.withLock { $0 += 1 } }
                }
            }
        }
        #expect(done.wait(timeout: .now() + 60) == .success)
        #expect(failures.withLock { $0 } == 0)
        let lines = Set(try ingress.client().call("GET", "/metrics").body.split(separator: "\n").map(String.init))
        #expect(lines.contains(#"sessionlog_appended_records_total{log="main"} 30000"#))
        let pauses = lines.first { $0.hasPrefix("sessionlog_backpressure_pauses_total ") }
        #expect(pauses != nil && pauses != "sessionlog_backpressure_pauses_total 0", "\(pauses ?? "no metric")")
        #expect(ingress.stop().status == 0)
    }
}
