import LogFormat
import NIOCore
import NIOHTTP1

/// A request head as the ingress uses it: the request line and the header fields it acts on.
/// Other header fields are checked for their grammar and otherwise ignored.
struct RequestHead: Sendable, Equatable {
    var method: HTTPMethod
    /// The request target as sent (origin form: path and query).
    var target: String
    var version: HTTPVersion
    /// HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    var keepAlive: Bool
    /// `Expect: 100-continue` (HTTP/1.1 only).
    var expectsContinue: Bool
    /// The first `Idempotency-Key` field's value.
    var idempotencyKey: String?
    /// A `Content-Encoding` other than `identity` (the ingress takes bodies uncompressed: 415).
    var contentCoding: String? = nil
}

/// Why a request could not be read; the connection closes after its answer.
enum HTTPRequestError: Error, Equatable {
    /// The request line and header fields exceed the head limit (431).
    case headersTooLarge
    /// A `Transfer-Encoding` other than `chunked` (501).
    case unsupportedTransferCoding(String)
    /// Anything else HTTP/1.1's grammar (RFC 9112) does not allow (400), with what and where.
    case malformed(String)
}

/// An incremental HTTP/1.1 request parser (RFC 9112) for the ingress's connections: bytes go in
/// as they are read (`append`), and `next()` returns each request as a head, its body's parts and
/// an end, in order, across pipelined requests. Bodies are framed by `Content-Length` or by
/// `Transfer-Encoding: chunked` (chunk extensions and trailer fields are read and ignored).
///
/// Limits: a head (request line and header fields) and a trailer section of at most `headBytesMax`
/// bytes each, a chunk-size line of at most `headBytesMax` bytes. A violation is a
/// `HTTPRequestError`, after which the parser is finished: nothing more is parsed.
///
/// Written for this server rather than taken from NIOHTTP1's `HTTPRequestDecoder` (llhttp and a
/// `ByteToMessageHandler`): see docs/decisions/0003-ingress-server-stack.md. Not thread-safe:
/// one per connection, on its event loop.
struct HTTPRequestParser {
    enum Event: Equatable {
        case head(RequestHead)
        /// A part of the current request's body (a view of the bytes read, not a copy).
        case body(ByteBuffer)
        case end
    }

    private enum State {
        /// Before a request line; `scanned` bytes are known not to end the head.
        case head(scanned: Int)
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        /// The CRLF that closes a chunk's data.
        case chunkDataEnd
        /// After the last chunk: trailer fields until an empty line; `scanned` as for the head.
        case trailers(scanned: Int)
        case failed
    }

    let headBytesMax: Int
    private var state = State.head(scanned: 0)
    /// Bytes read and not yet parsed.
    private var input: ByteBuffer?

    init(headBytesMax: Int) {
        precondition(headBytesMax >= 64, "a head limit of \(headBytesMax) bytes cannot hold a request line")
        self.headBytesMax = headBytesMax
    }

    /// Takes bytes as they are read from the connection.
    mutating func append(_ bytes: ByteBuffer) {
        guard input != nil, input!.readableBytes > 0 else {
            input = bytes
            return
        }
        // Only an incomplete request's bytes are left: moving them keeps the input bounded by
        // one request's head (or body part) however long a producer pipelines.
        input!.discardReadBytes()
        input!.writeImmutableBuffer(bytes)
    }

    /// The next event of the bytes appended so far; nil when more bytes are needed.
    mutating func next() throws(HTTPRequestError) -> Event? {
        do throws(HTTPRequestError) {
            guard let event = try step() else {
                // Drop a consumed buffer: an idle connection then holds no read buffer (up to
                // 64 KiB), and NIO can reuse its own, which it does only when no one else holds it.
                if input?.readableBytes == 0 { input = nil }
                return nil
            }
            return event
        } catch {
            state = .failed
            input = nil
            throw error
        }
    }

    private mutating func step() throws(HTTPRequestError) -> Event? {
        guard input != nil else { return nil }
        switch state {
        case .head(var scanned):
            if skipEmptyLines() { scanned = 0 }
            guard let headLength = try endOfBlock(&scanned) else {
                state = .head(scanned: scanned)
                return nil
            }
            let (head, framing) = try Self.parseHead(input!.readSlice(length: headLength)!)
            state = framing
            return .head(head)
        case .fixedBody(let remaining):
            if remaining == 0 {
                state = .head(scanned: 0)
                return .end
            }
            guard input!.readableBytes > 0 else { return nil }
            let part = input!.readSlice(length: min(remaining, input!.readableBytes))!
            state = .fixedBody(remaining: remaining - part.readableBytes)
            return .body(part)
        case .chunkSize:
            guard let line = try chunkSizeLine() else { return nil }
            let size = try Self.chunkSize(line)
            state = size == 0 ? .trailers(scanned: 0) : .chunkData(remaining: size)
            return try step()
        case .chunkData(let remaining):
            guard input!.readableBytes > 0 else { return nil }
            let part = input!.readSlice(length: min(remaining, input!.readableBytes))!
            state = remaining == part.readableBytes ? .chunkDataEnd : .chunkData(remaining: remaining - part.readableBytes)
            return .body(part)
        case .chunkDataEnd:
            guard input!.readableBytes >= 2 else { return nil }
            guard input!.readInteger(as: UInt16.self) == Self.crlf else { throw .malformed("chunk data is not followed by CRLF") }
            state = .chunkSize
            return try step()
        case .trailers(var scanned):
            // The trailer section is the empty line alone, or fields ending in an empty line.
            // Decided on the first two bytes, before any scanning.
            guard input!.readableBytes >= 2 else { return nil }
            if input!.getInteger(at: input!.readerIndex, as: UInt16.self) == Self.crlf {
                input!.moveReaderIndex(forwardBy: 2)
            } else {
                let length: Int?
                do throws(HTTPRequestError) {
                    length = try endOfBlock(&scanned)
                } catch {
                    throw .malformed("trailer section over \(headBytesMax) bytes")
                }
                guard let length else {
                    state = .trailers(scanned: scanned)
                    return nil
                }
                input!.moveReaderIndex(forwardBy: length)
            }
            state = .head(scanned: 0)
            return .end
        case .failed:
            return nil
        }
    }

    private static let crlf = UInt16(UInt8(ascii: "\r")) << 8 | UInt16(UInt8(ascii: "\n"))

    /// RFC 9112 §2.2: empty lines before a request line are ignored. True if any were.
    private mutating func skipEmptyLines() -> Bool {
        var skipped = false
        while input!.readableBytes >= 2 && input!.getInteger(at: input!.readerIndex, as: UInt16.self) == Self.crlf {
            input!.moveReaderIndex(forwardBy: 2)
            skipped = true
        }
        return skipped
    }

    /// The length of the block of lines at the start of the input that ends in an empty line,
    /// that line included; nil while it is incomplete. An empty line is CRLF; a bare LF also ends
    /// the block (LF LF, LF CRLF), so a client using bare LFs gets its 400 from the grammar instead
    /// of waiting for the timeout. `scanned`: where to resume (every LF before it was checked).
    /// Throws `headersTooLarge` past `headBytesMax` bytes.
    private func endOfBlock(_ scanned: inout Int) throws(HTTPRequestError) -> Int? {
        let found = input!.withUnsafeReadableBytes { bytes -> Int? in
            while scanned < bytes.count {
                guard let newline = bytes[scanned...].firstIndex(of: UInt8(ascii: "\n")) else {
                    scanned = bytes.count
                    return nil
                }
                scanned = newline
                guard newline + 1 < bytes.count else { return nil }
                if bytes[newline + 1] == UInt8(ascii: "\n") { return newline + 2 }
                if bytes[newline + 1] == UInt8(ascii: "\r") {
                    guard newline + 2 < bytes.count else { return nil }
                    if bytes[newline + 2] == UInt8(ascii: "\n") { return newline + 3 }
                }
                scanned = newline + 1
            }
            return nil
        }
        guard (found ?? input!.readableBytes) <= headBytesMax else { throw .headersTooLarge }
        return found
    }

    /// A chunk-size line (without its CRLF) of at most `headBytesMax` bytes, or nil while incomplete.
    private mutating func chunkSizeLine() throws(HTTPRequestError) -> ByteBuffer? {
        guard let newline = input!.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            guard input!.readableBytes <= headBytesMax else { throw .malformed("chunk size line over \(headBytesMax) bytes") }
            return nil
        }
        let length = newline - input!.readerIndex
        guard length >= 1, input!.getInteger(at: newline - 1, as: UInt8.self) == UInt8(ascii: "\r") else {
            throw .malformed("chunk size line does not end in CRLF")
        }
        let line = input!.readSlice(length: length - 1)!
        input!.moveReaderIndex(forwardBy: 2)
        return line
    }

    /// `chunk-size [ chunk-ext ]`: hexadecimal digits, then extensions that are ignored.
    private static func chunkSize(_ line: ByteBuffer) throws(HTTPRequestError) -> Int {
        var size = 0
        var digits = 0
        for byte in line.readableBytesView {
            guard let digit = Hex.digitValue(byte) else {
                guard digits > 0, byte == UInt8(ascii: ";") || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") else {
                    throw .malformed("chunk size line \"\(String(decoding: line.readableBytesView.prefix(40), as: UTF8.self))\" does not start with a hexadecimal size")
                }
                break
            }
            digits += 1
            guard digits <= 15 else { throw .malformed("chunk size has more than 15 hexadecimal digits") }
            size = size << 4 | Int(digit)
        }
        guard digits > 0 else { throw .malformed("empty chunk size line") }
        return size
    }
}

extension HTTPRequestParser {
    /// Bytes of a head, read where they lie in the read buffer.
    private typealias HeadBytes = Slice<UnsafeBufferPointer<UInt8>>

    /// Parses a complete head (ending in its empty line) into the request and its body's framing.
    private static func parseHead(_ buffer: ByteBuffer) throws(HTTPRequestError) -> (RequestHead, State) {
        try buffer.withUnsafeReadableBytes { (raw) in
            Result { () throws(HTTPRequestError) in try parseHead(raw.assumingMemoryBound(to: UInt8.self)) }
        }.get()
    }

    private static func parseHead(_ bytes: UnsafeBufferPointer<UInt8>) throws(HTTPRequestError) -> (RequestHead, State) {
        var lines = HeadLines(bytes)
        let (method, target, version) = try requestLine(lines.next()!)
        var expectsContinue = false
        var idempotencyKey: String?
        var contentCoding: String?
        var contentLength: Int?
        var chunked = false
        var connectionClose = false
        var connectionKeepAlive = false
        var lineNumber = 1
        while let line = lines.next(), !line.isEmpty {
            lineNumber += 1
            let (name, value) = try field(line, lineNumber)
            switch name.count {
            case 6 where asciiEqual(name, "expect"):
                expectsContinue = expectsContinue || asciiEqual(value, "100-continue")
            case 10 where asciiEqual(name, "connection"):
                for option in value.split(separator: UInt8(ascii: ",")) {
                    let option = trimmed(option)
                    if asciiEqual(option, "close") { connectionClose = true }
                    if asciiEqual(option, "keep-alive") { connectionKeepAlive = true }
                }
            case 14 where asciiEqual(name, "content-length"):
                guard let length = decimal(value) else {
                    throw .malformed("Content-Length \"\(String(decoding: value.prefix(40), as: UTF8.self))\" is not a decimal length")
                }
                guard contentLength == nil || contentLength == length else { throw .malformed("two different Content-Length fields") }
                contentLength = length
            case 15 where asciiEqual(name, "idempotency-key"):
                if idempotencyKey == nil { idempotencyKey = String(decoding: value, as: UTF8.self) }
            case 16 where asciiEqual(name, "content-encoding"):
                if !asciiEqual(value, "identity") { contentCoding = String(decoding: value.prefix(80), as: UTF8.self) }
            case 17 where asciiEqual(name, "transfer-encoding"):
                guard asciiEqual(value, "chunked"), !chunked else {
                    throw .unsupportedTransferCoding(String(decoding: value.prefix(80), as: UTF8.self))
                }
                chunked = true
            default:
                break
            }
        }
        if chunked {
            // RFC 9112 §6.1: a Transfer-Encoding with a Content-Length, or in HTTP/1.0, is a
            // framing a server must not guess at.
            guard contentLength == nil else { throw .malformed("both Transfer-Encoding and Content-Length") }
            guard version == .http1_1 else { throw .malformed("Transfer-Encoding in an HTTP/1.0 request") }
        }
        let head = RequestHead(
            method: method, target: target, version: version,
            keepAlive: version == .http1_1 ? !connectionClose : connectionKeepAlive && !connectionClose,
            expectsContinue: expectsContinue && version == .http1_1, idempotencyKey: idempotencyKey, contentCoding: contentCoding)
        return (head, chunked ? .chunkSize : .fixedBody(remaining: contentLength ?? 0))
    }

    /// `method SP request-target SP HTTP/1.x`.
    private static func requestLine(_ line: HeadBytes) throws(HTTPRequestError) -> (HTTPMethod, target: String, HTTPVersion) {
        func notARequestLine() -> HTTPRequestError {
            grammarError(line, "request line \"\(printable(line))\" is not METHOD SP TARGET SP HTTP/1.1")
        }
        let space = UInt8(ascii: " ")
        guard let afterMethod = line.firstIndex(of: space), let afterTarget = line[(afterMethod + 1)...].firstIndex(of: space) else {
            throw notARequestLine()
        }
        let method = line[..<afterMethod]
        let target = line[(afterMethod + 1)..<afterTarget]
        let versionText = line[(afterTarget + 1)...]
        guard !method.isEmpty, method.allSatisfy(isTokenByte), !target.isEmpty, target.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw notARequestLine()
        }
        let version: HTTPVersion
        if asciiEqual(versionText, "HTTP/1.1") {
            version = .http1_1
        } else if asciiEqual(versionText, "HTTP/1.0") {
            version = .http1_0
        } else {
            throw grammarError(line, "version \"\(printable(versionText))\" is not HTTP/1.1 or HTTP/1.0")
        }
        return (Self.method(method), String(decoding: target, as: UTF8.self), version)
    }

    /// The error for a head line that fails the grammar. A bare LF in it means the client ends
    /// lines with LF alone (which RFC 9112 §2.2 lets a server refuse): that is what it is told.
    private static func grammarError(_ line: HeadBytes, _ message: @autoclosure () -> String) -> HTTPRequestError {
        guard line.contains(UInt8(ascii: "\n")) else { return .malformed(message()) }
        return .malformed("lines end in a bare LF; HTTP/1.1 lines end in CRLF")
    }

    /// The ingress's two methods without building a string; any other by its name (methods are
    /// case-sensitive, RFC 9110 §9.1).
    private static func method(_ name: HeadBytes) -> HTTPMethod {
        if name.elementsEqual("POST".utf8) { return .POST }
        if name.elementsEqual("GET".utf8) { return .GET }
        return HTTPMethod(rawValue: String(decoding: name, as: UTF8.self))
    }

    /// `field-name ":" OWS field-value OWS`: a token name, a value without control bytes but tab.
    private static func field(_ line: HeadBytes, _ lineNumber: Int) throws(HTTPRequestError) -> (HeadBytes, HeadBytes) {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
            line[..<colon].allSatisfy(isTokenByte)
        else {
            throw grammarError(line, "header line \(lineNumber) \"\(printable(line))\" is not NAME: VALUE")
        }
        let value = trimmed(line[(colon + 1)...])
        guard value.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || $0 == UInt8(ascii: "\t") }) else {
            throw grammarError(line, "header line \(lineNumber) has a control character in its value")
        }
        return (line[..<colon], value)
    }

    /// tchar of RFC 9110 §5.6.2.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private static func trimmed(_ bytes: HeadBytes) -> HeadBytes {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else {
            return bytes[bytes.endIndex...]
        }
        return bytes[first...last]
    }

    /// Case-insensitive comparison with a lowercase ASCII literal.
    private static func asciiEqual(_ bytes: HeadBytes, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { expected in
            zip(bytes, expected).allSatisfy { byte, letter in byte == letter || byte | 0x20 == letter && letter >= UInt8(ascii: "a") && letter <= UInt8(ascii: "z") }
        }
    }

    /// 1 to 18 decimal digits, nothing else.
    private static func decimal(_ bytes: HeadBytes) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// Bytes for an error message: at most 80, control bytes escaped.
    private static func printable(_ bytes: HeadBytes) -> String {
        String(decoding: bytes.prefix(80), as: UTF8.self).unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
    }

    /// The CRLF-separated lines of a head, without their CRLFs; a line ending in a bare LF or
    /// holding a bare CR is one line with that byte in it (and fails the grammar).
    private struct HeadLines {
        private let bytes: UnsafeBufferPointer<UInt8>
        private var start = 0

        init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func next() -> HeadBytes? {
            guard start < bytes.count else { return nil }
            var end = start
            while end + 1 < bytes.count && !(bytes[end] == UInt8(ascii: "\r") && bytes[end + 1] == UInt8(ascii: "\n")) { end += 1 }
            defer { start = end + 2 }
            return bytes[start..<min(end, bytes.count)]
        }
    }
}
