import Foundation

/// A minimal blocking HTTP/1.1 client over a Unix domain socket, for `sessionlog send` and the
/// tests: sends raw request bytes (so callers can pipeline) and reads Content-Length-framed
/// responses (by default with a 10 s receive timeout). Not thread-safe: one client per thread.
public final class UnixHTTPClient {
    /// A response: status line and code, lower-cased header names, body as text.
    public struct Response: Sendable {
        public var statusLine: String
        public var status: Int
        public var headers: [String: String]
        public var body: String
    }

    private let descriptor: Int32
    private var pending: [UInt8] = []

    /// How long a read waits for the server unless the caller says otherwise.
    public static let receiveTimeoutSecondsDefault = 10

    /// `receiveTimeoutSeconds`: how long a read may wait for the server (0: forever).
    public init(socketPath: String, receiveTimeoutSeconds: Int = receiveTimeoutSecondsDefault) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in socketPath.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        // No close here: the instance is fully initialized, so deinit runs (and closes) even
        // when init throws; closing twice could close a descriptor another thread just reused.
        guard connected == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    /// The bytes of one request.
    public static func request(_ method: String, _ path: String, body: String = "", headers: [String: String] = [:]) -> [UInt8] {
        request(method, path, body: Array(body.utf8), headers: headers)
    }

    /// The bytes of one request whose body is `body` exactly (not necessarily UTF-8).
    public static func request(_ method: String, _ path: String, body: [UInt8], headers: [String: String] = [:]) -> [UInt8] {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        return Array((text + "\r\n").utf8) + body
    }

    public func send(_ bytes: [UInt8]) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + done, $0.count - done, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            done += n
        }
    }

    /// Sends one request and reads its response.
    public func call(_ method: String, _ path: String, body: String = "", headers: [String: String] = [:]) throws -> Response {
        try call(method, path, body: Array(body.utf8), headers: headers)
    }

    /// Sends one request with a body of exact bytes and reads its response.
    public func call(_ method: String, _ path: String, body: [UInt8], headers: [String: String] = [:]) throws -> Response {
        send(Self.request(method, path, body: body, headers: headers))
        return try readResponse(toHead: method == "HEAD")
    }

    /// Reads the next response (`toHead`: the answer to a HEAD request, which has no body
    /// whatever its Content-Length says); throws `ECONNRESET` when the server closes the
    /// connection first, `EAGAIN` when the receive timeout passes first.
    public func readResponse(toHead: Bool = false) throws -> Response {
        while true {
            if let end = headerEnd() {
                let head = String(decoding: pending[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
                let status = Int(head[0].split(separator: " ")[1]) ?? 0
                var headers = [String: String]()
                for line in head.dropFirst() {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    if parts.count == 2 { headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
                }
                let length = toHead ? 0 : Int(headers["content-length"] ?? "0") ?? 0
                if pending.count >= end + 4 + length {
                    let body = String(decoding: pending[(end + 4)..<(end + 4 + length)], as: UTF8.self)
                    pending.removeFirst(end + 4 + length)
                    return Response(statusLine: head[0], status: status, headers: headers, body: body)
                }
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(descriptor, &chunk, chunk.count, 0)
            if n < 0 && errno == EINTR { continue }
            // EAGAIN: the receive timeout passed with no answer, which is not the server closing.
            guard n > 0 else { throw POSIXError(n == 0 ? .ECONNRESET : POSIXErrorCode(rawValue: errno) ?? .EIO) }
            pending += chunk[0..<n]
        }
    }

    private func headerEnd() -> Int? {
        guard pending.count >= 4 else { return nil }
        for i in 0...(pending.count - 4) where pending[i] == 13 && pending[i + 1] == 10 && pending[i + 2] == 13 && pending[i + 3] == 10 {
            return i
        }
        return nil
    }
}
