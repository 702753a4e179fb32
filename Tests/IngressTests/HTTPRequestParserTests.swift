import NIOCore
import NIOHTTP1
import Testing

@testable import Ingress

/// The ingress's HTTP/1.1 request parser, fed without I/O: the same requests must parse the same
/// however the bytes are split across reads, and every framing error must be reported, not waited on.
@Suite struct HTTPRequestParserTests {
    /// A request as the handler sees it: the head and the whole body (parts joined).
    struct Request: Equatable {
        var head: RequestHead
        var body: String
    }

    /// Feeds `pieces` one by one and collects the complete requests; rethrows the parser's error.
    static func requests(_ pieces: [String], headBytesMax: Int = 4096) throws(HTTPRequestError) -> [Request] {
        var parser = HTTPRequestParser(headBytesMax: headBytesMax)
        var done: [Request] = []
        var current: Request?
        for piece in pieces {
            parser.append(ByteBuffer(string: piece))
            while let event = try parser.next() {
                switch event {
                case .head(let head):
                    #expect(current == nil, "a head arrives only between requests")
                    current = Request(head: head, body: "")
                case .body(let part):
                    current!.body += String(buffer: part)
                case .end:
                    done.append(current!)
                    current = nil
                }
            }
        }
        return done
    }

    /// Every split of `text` into two reads, and the byte-by-byte one, parse as the whole does.
    static func expectSplitsAgree(_ text: String) throws {
        let whole = try requests([text])
        let bytes = Array(text.utf8)
        for cut in 1..<bytes.count {
            let pieces = [String(decoding: bytes[..<cut], as: UTF8.self), String(decoding: bytes[cut...], as: UTF8.self)]
            #expect(try requests(pieces) == whole, "split at \(cut)")
        }
        #expect(try requests(bytes.map { String(decoding: [$0], as: UTF8.self) }) == whole)
    }

    static func error(_ pieces: [String], headBytesMax: Int = 4096) -> HTTPRequestError? {
        do throws(HTTPRequestError) {
            _ = try requests(pieces, headBytesMax: headBytesMax)
            return nil
        } catch {
            return error
        }
    }

    static let post = "POST /v2/session HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nIdempotency-Key: k-1\r\n\r\nhello"

    @Test func aContentLengthRequestParsesToItsHeadAndBody() throws {
        let parsed = try Self.requests([Self.post])
        #expect(
            parsed == [
                Request(
                    head: RequestHead(
                        method: .POST, target: "/v2/session", version: .http1_1, keepAlive: true, expectsContinue: false, idempotencyKey: "k-1"),
                    body: "hello")
            ])
        try Self.expectSplitsAgree(Self.post)
    }

    @Test func pipelinedRequestsParseInOrderWhateverTheSplit() throws {
        let text = "\r\n" + Self.post + "GET /health?x=1 HTTP/1.1\r\n\r\n" + "POST /batch HTTP/1.1\r\ncontent-length: 0\r\n\r\n"
        let parsed = try Self.requests([text])
        #expect(parsed.map(\.head.target) == ["/v2/session", "/health?x=1", "/batch"])
        #expect(parsed.map(\.body) == ["hello", "", ""])
        try Self.expectSplitsAgree(text)
    }

    @Test func chunkedBodiesAreJoinedAndTheirExtensionsAndTrailersIgnored() throws {
        let text =
            "POST /v1/events HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n1A\r\n abcdefghijklmnopqrstuvwxy\r\n0\r\nX-Trailer: t\r\n\r\n"
            + "POST /v1/events HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        let parsed = try Self.requests([text])
        #expect(parsed.map(\.body) == ["hello abcdefghijklmnopqrstuvwxy", "abc"])
        try Self.expectSplitsAgree(text)
    }

    @Test func keepAliveFollowsTheVersionAndTheConnectionField() throws {
        let parsed = try Self.requests([
            "GET /health HTTP/1.1\r\n\r\n", "GET /health HTTP/1.1\r\nConnection: upgrade, Close\r\n\r\n",
            "GET /health HTTP/1.0\r\n\r\n", "GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        ])
        #expect(parsed.map(\.head.keepAlive) == [true, false, false, true])
        #expect(parsed.map(\.head.version) == [HTTPVersion.http1_1, .http1_1, .http1_0, .http1_0])
    }

    @Test func aContentCodingOtherThanIdentityIsReported() throws {
        let parsed = try Self.requests([
            "POST /batch HTTP/1.1\r\nContent-Encoding: gzip\r\n\r\n", "POST /batch HTTP/1.1\r\ncontent-encoding: Identity\r\n\r\n",
            "POST /batch HTTP/1.1\r\n\r\n",
        ])
        #expect(parsed.map(\.head.contentCoding) == ["gzip", nil, nil])
    }

    @Test func expectContinueIsReportedForHTTP11Only() throws {
        let parsed = try Self.requests([
            "POST /v2/session HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 0\r\n\r\n",
            "POST /v2/session HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",
        ])
        #expect(parsed.map(\.head.expectsContinue) == [true, false])
    }

    @Test func aHeadOverTheLimitIsRefusedBeforeItEnds() {
        let big = "GET /health HTTP/1.1\r\nX-Trace: " + String(repeating: "a", count: 5000)
        #expect(Self.error([big], headBytesMax: 4096) == .headersTooLarge)
        #expect(Self.error([big + "\r\n\r\n"], headBytesMax: 8192) == nil)
        // The limit counts the whole head, request line included.
        let exact = "GET / HTTP/1.1\r\nA: " + String(repeating: "b", count: 100 - 23) + "\r\n\r\n"
        #expect(exact.utf8.count == 100)
        #expect(Self.error([exact], headBytesMax: 100) == nil)
        #expect(Self.error([exact], headBytesMax: 99) == .headersTooLarge)
    }

    @Test func framingThatCannotBeTrustedIsRefused() {
        let refused: [(String, HTTPRequestError)] = [
            ("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", .malformed("both Transfer-Encoding and Content-Length")),
            ("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", .malformed("two different Content-Length fields")),
            ("POST / HTTP/1.1\r\nContent-Length: -3\r\n\r\n", .malformed("Content-Length \"-3\" is not a decimal length")),
            ("POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n", .malformed("Content-Length \"3, 3\" is not a decimal length")),
            ("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .unsupportedTransferCoding("gzip, chunked")),
            ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .malformed("Transfer-Encoding in an HTTP/1.0 request")),
            ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .malformed("chunk size line \"zz\" does not start with a hexadecimal size")),
            ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n", .malformed("chunk data is not followed by CRLF")),
            ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", .malformed("chunk size has more than 15 hexadecimal digits")),
        ]
        for (text, expected) in refused { #expect(Self.error([text]) == expected, "\(text)") }
    }

    @Test func requestLinesAndFieldsOutsideTheGrammarAreRefused() {
        let malformed = [
            "NOT HTTP AT ALL\r\n\r\n", "GET /health HTTP/2.0\r\n\r\n", "GET  /health HTTP/1.1\r\n\r\n", "GET /health\r\n\r\n",
            "G(T /health HTTP/1.1\r\n\r\n", "GET /health HTTP/1.1\r\nNo-Colon\r\n\r\n", "GET /health HTTP/1.1\r\nSpace : before\r\n\r\n",
            "GET /health HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", "GET /health HTTP/1.1\r\nA: b\u{1}c\r\n\r\n", "GET /health HTTP/1.1\r\n: empty\r\n\r\n",
            // Bare LFs end the head, so the request is refused at once instead of timing out.
            "GET /health HTTP/1.1\n\n", "GET /health HTTP/1.1\r\nHost: x\n\n",
        ]
        for text in malformed {
            guard case .malformed = Self.error([text]) else {
                Issue.record("not refused as malformed: \(text.debugDescription)")
                continue
            }
        }
    }

    @Test func aClientEndingLinesInBareLFsIsToldSo() {
        for text in ["POST /v2/session HTTP/1.1\nHost: x\nContent-Length: 2\n\n{}", "GET /health HTTP/1.1\r\nHost: x\nA: b\n\n"] {
            #expect(Self.error([text]) == .malformed("lines end in a bare LF; HTTP/1.1 lines end in CRLF"), "\(text.debugDescription)")
        }
    }

    @Test func targetsRouteByTheirPathInOriginOrAbsoluteForm() {
        #expect(IngressRoute(target: "/v3/session") == .v3)
        #expect(IngressRoute(target: "/v3/session?debug=1") == .v3)
        #expect(IngressRoute(target: "http://localhost/v2/session") == .v2)
        #expect(IngressRoute(target: "http://localhost:8080/batch?x=1") == .batch)
        #expect(IngressRoute(target: "http://localhost") == nil)
        #expect(IngressRoute(target: "/v3/session/") == nil)
        #expect(IngressRoute(target: "/x?http://h/v3/session") == nil)
    }

    @Test func afterAnErrorNothingMoreIsParsed() throws {
        var parser = HTTPRequestParser(headBytesMax: 4096)
        parser.append(ByteBuffer(string: "BAD\r\n\r\n"))
        #expect(throws: HTTPRequestError.self) { try parser.next() }
        parser.append(ByteBuffer(string: "GET /health HTTP/1.1\r\n\r\n"))
        #expect(try parser.next() == nil)
    }

    /// Mutated requests (bytes flipped, framing bytes inserted, cut short) never crash the parser,
    /// and whatever it answers — requests or an error — does not depend on how the bytes were split.
    @Test func mutatedRequestsParseTheSameWhateverTheSplit() {
        let seeds = [
            Self.post + "GET /health HTTP/1.1\r\n\r\n",
            "POST /batch HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4;x\r\nabcd\r\n0\r\nT: 1\r\n\r\nGET /metrics HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        ].map { Array($0.utf8) }
        let framing = Array("\r\n :;0aF".utf8)
        var random = SystemRandomNumberGenerator()
        func outcome(_ pieces: [[UInt8]]) -> String {
            do throws(HTTPRequestError) {
                return "\(try Self.requests(pieces.map { String(decoding: $0, as: UTF8.self) }, headBytesMax: 256))"
            } catch {
                return "\(error)"
            }
        }
        for _ in 0..<3000 {
            var bytes = seeds.randomElement(using: &random)!
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0: bytes[at] = UInt8.random(in: 0...127, using: &random)
                case 1: bytes.insert(framing.randomElement(using: &random)!, at: at)
                case 2: bytes.remove(at: at)
                default: bytes.removeLast(Int.random(in: 0..<min(bytes.count, 20), using: &random))
                }
                if bytes.isEmpty { bytes = seeds[0] }
            }
            let whole = outcome([bytes])
            let cut = Int.random(in: 0...bytes.count, using: &random)
            let split = outcome([Array(bytes[..<cut]), Array(bytes[cut...])])
            #expect(whole == split, "\(String(decoding: bytes, as: UTF8.self).debugDescription) split at \(cut)")
        }
    }

    @Test func anIncompleteRequestWaitsForMoreBytes() throws {
        var parser = HTTPRequestParser(headBytesMax: 4096)
        parser.append(ByteBuffer(string: "POST /v2/session HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"))
        let first = try parser.next()
        guard case .head(let head) = first else {
            Issue.record("the head first, not \(String(describing: first))")
            return
        }
        #expect(head.target == "/v2/session")
        #expect(try parser.next() == .body(ByteBuffer(string: "abc")))
        #expect(try parser.next() == nil)
        parser.append(ByteBuffer(string: "defghij"))
        #expect(try parser.next() == .body(ByteBuffer(string: "defghij")))
        #expect(try parser.next() == .end)
        #expect(try parser.next() == nil)
    }
}
