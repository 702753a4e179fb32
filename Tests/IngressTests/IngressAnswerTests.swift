import LogFormat
import LogStore
import NIOCore
import NIOHTTP1
import Payloads
import Testing

@testable import Ingress

/// The bytes of the ingress's answers: the status line, the headers in their order, a
/// `Content-Length` counting the body's bytes (not its characters), and the `Connection` header
/// each HTTP version needs.
@Suite struct IngressAnswerTests {
    static func encoded(_ answer: IngressAnswer, version: HTTPVersion = .http1_1, keepAlive: Bool = true) -> String {
        let buffer = answer.encoded(version: version, keepAlive: keepAlive, allocator: ByteBufferAllocator())
        #expect(buffer.readableBytes <= answer.encodedBytesMax, "encodedBytesMax bounds what encoded writes")
        return String(buffer: buffer)
    }

    @Test func anAcceptedV3PayloadOnAKeptAliveConnection() {
        let answer = IngressAnswer.accepted(offset: LogOffset(rawValue: 1_234_567), checkpoint: 1_750_000_000_000)
        let body = #"{"offset":1234567,"checkpoint":1750000000000}"#
        #expect(Self.encoded(answer) == "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
    }

    @Test func acceptedBodiesAndBatchLineMembersCarryTheOffsetAndTheCheckpoint() {
        #expect(IngressAnswer.accepted(offset: LogOffset(rawValue: 0), checkpoint: nil).body == #"{"offset":0}"#)
        #expect(IngressAnswer.accepted(offset: LogOffset(rawValue: 9_007_199_254_740_993), checkpoint: 0).body == #"{"offset":9007199254740993,"checkpoint":0}"#)
        var line: [UInt8] = Array("x".utf8)
        IngressAnswer.acceptedMembers(offset: LogOffset(rawValue: 42), checkpoint: 7, into: &line)
        #expect(String(decoding: line, as: UTF8.self) == #"x{"offset":42,"checkpoint":7"#)
    }

    @Test func extraHeadersFollowTheContentHeadersAndAClosingAnswerSaysSo() {
        let answer = IngressAnswer.methodNotAllowed(.GET, "/v3/session", allow: "POST")
        let text = Self.encoded(answer, keepAlive: false)
        let body = answer.body
        #expect(text == "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nAllow: POST\r\nConnection: close\r\n\r\n\(body)")
    }

    @Test func anHTTP10ConnectionKeptAliveIsToldSo() {
        let text = Self.encoded(.health, version: .http1_0)
        #expect(text == "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\nConnection: keep-alive\r\n\r\n{\"status\":\"ok\"}")
    }

    @Test func theLengthCountsBytesOfMultiByteCharactersAndAnEmptyBodyIsZero() {
        let text = Self.encoded(IngressAnswer(status: .ok, body: "{\"é\":\"😀\"}"))
        #expect(text.contains("\r\nContent-Length: 13\r\n\r\n{\"é\":\"😀\"}"))
        let empty = Self.encoded(IngressAnswer(status: .ok, body: "", contentType: "application/x-ndjson"))
        #expect(empty == "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func everyStatusTheIngressAnswersIsCountedByTheMetrics() {
        let error = PayloadError(.tooLarge, "too large")
        let answers: [IngressAnswer] = [
            .health, .accepted(offset: LogOffset(rawValue: 0), checkpoint: nil), .notFound("/x"),
            .methodNotAllowed(.GET, "/batch", allow: "POST"), .rejected(error, quarantined: LogOffset(rawValue: 0)),
            .rejected(PayloadError(.idempotencyConflict, "conflict"), quarantined: LogOffset(rawValue: 0)),
            .rejected(PayloadError(.missingField, "missing"), quarantined: LogOffset(rawValue: 0)),
            .unavailable(StorageError(.diskFull, "full")), .malformed(.headersTooLarge, headerBytesMax: 8192),
            .malformed(.unsupportedTransferCoding("gzip"), headerBytesMax: 8192), .malformed(.malformed("x"), headerBytesMax: 8192),
        ]
        for answer in answers { #expect(IngressAnswer.statuses.contains(answer.status.code), "status \(answer.status.code)") }
    }
}
