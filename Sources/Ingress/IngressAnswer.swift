import Foundation
import LogFormat
import LogStore
import NIOCore
import NIOHTTP1
import Payloads

/// An HTTP answer of the ingress: status, JSON body and extra headers (SPEC §1.4, §2).
struct IngressAnswer: Sendable {
    var status: HTTPResponseStatus
    var body: String
    var headers: [(String, String)] = []
    var contentType = "application/json"

    /// 200 `{"offset":N}`, with `"checkpoint":C` for V3. Built in place, one allocation: it runs
    /// on the writer thread for every acknowledged payload.
    static func accepted(offset: LogOffset, checkpoint: Int64?) -> IngressAnswer {
        let body = String(unsafeUninitializedCapacity: acceptedMembersBytesMax + 1) { (buffer) in
            var writer = AnswerWriter(UnsafeMutableRawBufferPointer(buffer))
            writer.putAcceptedMembers(offset: offset, checkpoint: checkpoint)
            writer.put("}")
            return writer.count
        }
        return IngressAnswer(status: .ok, body: body)
    }

    /// `{"offset":N` and `,"checkpoint":C` for V3: an accepted answer's object without its closing
    /// brace (a `/batch` line adds its status).
    static func acceptedMembers(offset: LogOffset, checkpoint: Int64?, into out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(byteCount: acceptedMembersBytesMax, alignment: 1) { (memory) in
            var writer = AnswerWriter(memory)
            writer.putAcceptedMembers(offset: offset, checkpoint: checkpoint)
            out += UnsafeRawBufferPointer(rebasing: memory[..<writer.count])
        }
    }

    /// The longest `acceptedMembers`: both names and two 20-digit numbers.
    private static let acceptedMembersBytesMax = 64

    /// A single payload's answer once its append is resolved: 200 with its offset, or 503.
    static func appended(_ outcome: AppendTicket.Outcome, checkpoint: Int64?) -> IngressAnswer {
        switch outcome {
        case .success(let offsets): .accepted(offset: offsets[0], checkpoint: checkpoint)
        case .failure(let error): .unavailable(error)
        }
    }

    /// 400 (413 for `too_large`) with the error and where the payload went in the quarantine log.
    static func rejected(_ error: PayloadError, quarantined: LogOffset) -> IngressAnswer {
        IngressAnswer(
            status: error.code == .tooLarge ? .payloadTooLarge : error.code == .idempotencyConflict ? .conflict : .badRequest,
            body: JSONText.object([
                ("error", errorObject(error.code.rawValue, error.message, error.path)),
                ("quarantined", quarantined.description),
            ]))
    }

    /// 503 when the log cannot take the record now (disk full, stopped writer); nothing was kept.
    static func unavailable(_ error: StorageError) -> IngressAnswer {
        IngressAnswer(
            status: .serviceUnavailable, body: JSONText.object([("error", errorObject("unavailable", error.message, ""))]),
            headers: [("Retry-After", "1")])
    }

    static func notFound(_ uri: String) -> IngressAnswer {
        IngressAnswer(
            status: .notFound,
            body: JSONText.object([("error", errorObject("not_found", "no route \(uri); routes: \(IngressRoute.listing)", ""))]))
    }

    /// 403 for a `POST /requeue` from a user other than the ingress's own and root.
    static func forbidden(uid: UInt32) -> IngressAnswer {
        let message = "requeue is for the ingress's own user (uid \(geteuid())) and root, not uid \(uid == .max ? "unknown" : String(uid))"
        return IngressAnswer(status: .forbidden, body: JSONText.object([("error", errorObject("forbidden", message, ""))]))
    }

    /// 409 for a `POST /requeue` while another one runs.
    static let requeueRunning = IngressAnswer(
        status: .conflict,
        body: JSONText.object([("error", errorObject("requeue_running", "a requeue is already running; wait for its answer", ""))]))

    /// 415 for a body sent with a content coding (RFC 9110 §15.5.16): payloads are kept byte for
    /// byte as sent, so the ingress takes them uncompressed. Nothing is appended or quarantined.
    static func unsupportedContentCoding(_ coding: String) -> IngressAnswer {
        IngressAnswer(
            status: .unsupportedMediaType,
            body: JSONText.object([
                ("error", errorObject("unsupported_content_coding", "Content-Encoding \"\(coding)\" is not supported; send the body uncompressed", ""))
            ]),
            headers: [("Accept-Encoding", "identity")])
    }

    /// 400 for a request HTTP/1.1's grammar rejects, 431 for one whose head exceeds
    /// `headerBytesMax`, 501 for a transfer coding other than chunked; the connection closes after it.
    static func malformed(_ error: HTTPRequestError, headerBytesMax: Int) -> IngressAnswer {
        let (status, code, message): (HTTPResponseStatus, String, String)
        switch error {
        case .headersTooLarge:
            (status, code, message) = (.requestHeaderFieldsTooLarge, "headers_too_large", "request headers exceed \(headerBytesMax) bytes (the ingress's --max-header-bytes)")
        case .unsupportedTransferCoding(let coding):
            (status, code, message) = (.notImplemented, "unsupported_transfer_coding", "Transfer-Encoding \"\(coding)\" is not supported; send Content-Length or chunked")
        case .malformed(let what):
            (status, code, message) = (.badRequest, "bad_request", "malformed HTTP request: \(what)")
        }
        return IngressAnswer(status: status, body: JSONText.object([("error", errorObject(code, message, ""))]))
    }

    static func methodNotAllowed(_ method: HTTPMethod, _ uri: String, allow: String) -> IngressAnswer {
        IngressAnswer(
            status: .methodNotAllowed,
            body: JSONText.object([("error", errorObject("method_not_allowed", "\(method) is not allowed on \(uri)", ""))]),
            headers: [("Allow", allow)])
    }

    init(status: HTTPResponseStatus, body: String, headers: [(String, String)] = [], contentType: String = "application/json") {
        self.status = status
        self.body = body
        self.headers = headers
        self.contentType = contentType
    }

    /// Every status the ingress answers with (the metrics count answers by status).
    static let statuses: [UInt] = [200, 400, 403, 404, 405, 409, 413, 415, 431, 501, 503]

    static let health = IngressAnswer(status: .ok, body: #"{"status":"ok"}"#)

    /// This answer as an HTTP/1.x response in `version`: status line, `Content-Type`,
    /// `Content-Length`, the extra headers, `Connection: close` when the connection closes after
    /// it (or `keep-alive` when an HTTP/1.0 connection stays open), then the body — except in
    /// answer to HEAD (`withBody` false), which gets the same head and no body (RFC 9110 §9.3.2).
    func encoded(version: HTTPVersion, keepAlive: Bool, withBody: Bool = true, allocator: ByteBufferAllocator) -> ByteBuffer {
        // One buffer of the size bound and one copy per piece into its memory: this runs for
        // every answer, and ByteBuffer's per-call checks cost more than the copies of a short head.
        let bound = encodedBytesMax
        var out = allocator.buffer(capacity: bound)
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { (memory) -> Int in
            var writer = AnswerWriter(memory)
            writer.put(version == .http1_0 ? "HTTP/1.0 " : "HTTP/1.1 ")
            writer.put(decimal: Int(status.code))
            writer.put(" ")
            writer.put(status.reasonPhrase)
            writer.put("\r\nContent-Type: ")
            writer.put(contentType)
            writer.put("\r\nContent-Length: ")
            writer.put(decimal: body.utf8.count)
            writer.put("\r\n")
            for (name, value) in headers {
                writer.put(name)
                writer.put(": ")
                writer.put(value)
                writer.put("\r\n")
            }
            if !keepAlive {
                writer.put("Connection: close\r\n")
            } else if version == .http1_0 {
                writer.put("Connection: keep-alive\r\n")
            }
            writer.put("\r\n")
            if withBody { writer.put(body) }
            return writer.count
        }
        return out
    }

    /// At most the bytes `encoded` writes.
    var encodedBytesMax: Int {
        let headerBytes = headers.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count + 4 }
        return Self.fixedHeadBytesMax + status.reasonPhrase.utf8.count + contentType.utf8.count + headerBytes + body.utf8.count
    }

    /// The bytes of an answer's head besides its reason phrase, content type and extra headers:
    /// version, code, the fixed header names, two decimal lengths, `Connection` and line ends.
    private static let fixedHeadBytesMax = 128

    private static func errorObject(_ code: String, _ message: String, _ path: String) -> String {
        JSONText.object([("code", JSONText.string(code)), ("message", JSONText.string(message)), ("path", JSONText.string(path))])
    }
}

/// Copies pieces of an answer into memory whose size the caller checked beforehand.
private struct AnswerWriter {
    let memory: UnsafeMutableRawBufferPointer
    private(set) var count = 0

    init(_ memory: UnsafeMutableRawBufferPointer) { self.memory = memory }

    mutating func put(_ text: StaticString) {
        put(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func put(_ text: String) {
        var text = text  // withUTF8 may first make a bridged or non-contiguous string contiguous
        text.withUTF8 { put(UnsafeRawBufferPointer($0)) }
    }

    mutating func put(decimal value: Int) {
        precondition(value >= 0, "an answer's numbers (code, length, offset, checkpoint) are not negative")
        var digits = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        precondition(count + digits <= memory.count, "the answer's size bound is too small")
        rest = value
        for position in stride(from: count + digits - 1, through: count, by: -1) {
            memory[position] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
        count += digits
    }

    mutating func putAcceptedMembers(offset: LogOffset, checkpoint: Int64?) {
        put(#"{"offset":"#)
        put(decimal: Int(offset.rawValue))
        if let checkpoint {
            put(#","checkpoint":"#)
            put(decimal: Int(checkpoint))
        }
    }

    private mutating func put(_ bytes: UnsafeRawBufferPointer) {
        precondition(count + bytes.count <= memory.count, "the answer's size bound is too small")
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        (memory.baseAddress! + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }
}
