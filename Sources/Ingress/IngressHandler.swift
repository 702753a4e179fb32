import Foundation
import Crypto
import LogFormat
import LogStore
import NIOCore
import NIOHTTP1
import Payloads

/// The ingress's shared, thread-safe parts: the two writers and the in-flight request count.
final class IngressServices: Sendable {
    let configuration: IngressConfiguration
    let log: LogWriter
    let quarantine: LogWriter
    let inFlight = ManagedCounter()

    init(configuration: IngressConfiguration, log: LogWriter, quarantine: LogWriter) {
        self.configuration = configuration
        self.log = log
        self.quarantine = quarantine
    }
}

/// One HTTP/1.1 connection: collects a request (at most `bodyBytesMax` bytes held; beyond that the
/// body is streamed through SHA-256 and its first 64 KiB kept for the quarantine), validates it,
/// appends it, and answers once the record is durable. `HTTPServerPipelineHandler` (before it in
/// the pipeline) holds pipelined requests back until each answer is written, so answers keep order.
///
/// Not thread-safe: used on its channel's event loop only.
final class IngressHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let services: IngressServices
    private var peerUID: UInt32 = UInt32.max
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var bodyLength = 0
    private var oversizedHasher: SHA256?

    init(services: IngressServices) {
        self.services = services
    }

    func channelActive(context: ChannelHandlerContext) {
        // Without allow lists, anyone who can open the socket (mode 0660) may send; with them, the
        // peer's uid or gid must be listed. A refused peer's connection is closed unanswered.
        let configuration = services.configuration
        let restricted = !configuration.allowedUIDs.isEmpty || !configuration.allowedGIDs.isEmpty
        let credentials = PeerCredentials.read(context.channel)
        if let credentials { peerUID = credentials.uid }
        if restricted {
            let allowed = credentials.map { configuration.allowedUIDs.contains($0.uid) || configuration.allowedGIDs.contains($0.gid) } ?? false
            guard allowed else {
                context.close(promise: nil)
                return
            }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body.removeAll(keepingCapacity: true)
            bodyLength = 0
            oversizedHasher = nil
        case .body(var buffer):
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            bodyLength += bytes.count
            if oversizedHasher == nil && bodyLength > services.configuration.bodyBytesMax {
                var hasher = SHA256()
                hasher.update(data: body)
                oversizedHasher = hasher
                body = Array(body.prefix(QuarantineRecord.keptBytesMax))
            }
            if oversizedHasher != nil {
                oversizedHasher!.update(data: bytes)
                if body.count < QuarantineRecord.keptBytesMax {
                    body += bytes.prefix(QuarantineRecord.keptBytesMax - body.count)
                }
            } else {
                body += bytes
            }
        case .end:
            guard let head else { return }
            self.head = nil
            services.inFlight.add(1)
            handle(head, context: context)
        }
    }

    private func handle(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let route: PayloadVersion?
        switch path {
        case "/v3/session": route = .v3
        case "/v2/session": route = .v2
        case "/v1/events": route = .v1
        case "/health":
            guard head.method == .GET else { return answer(.methodNotAllowed(head.method, path, allow: "GET"), head, context) }
            return answer(.health, head, context)
        default:
            return answer(.notFound(head.uri), head, context)
        }
        guard head.method == .POST, let route else { return answer(.methodNotAllowed(head.method, path, allow: "POST"), head, context) }
        let key = head.headers.first(name: "Idempotency-Key")
        let source = "ingress:\(path)"
        if let hasher = oversizedHasher {
            let error = PayloadError(.tooLarge, "payload of \(bodyLength) bytes exceeds --max-body \(services.configuration.bodyBytesMax)")
            let record = QuarantineRecord.oversized(
                prefix: body, length: bodyLength, sha256: hasher.finalize().map { QuarantineRecord.hexByte($0) }.joined(),
                rejection: error, source: source, producerUID: peerUID, idempotencyKey: key)
            return quarantine(record, error, head, context)
        }
        let bytes = body
        do throws(PayloadError) {
            let payload = try PayloadValidator.validate(bytes, route: route, limits: services.configuration.payloadLimits)
            let checkpoint: Int64? = if case .v3(let session) = payload { session.acknowledgedCheckpoint } else { nil }
            let ticket = services.log.enqueue([
                AppendRecord(version: route.rawValue, producerUID: peerUID, idempotencyKey: key, payload: bytes)
            ])
            whenDurable(ticket, head, context) { offsets in .accepted(offset: offsets[0], checkpoint: checkpoint) }
        } catch {
            let record = QuarantineRecord.make(
                payload: bytes[...], rejection: error, source: source, producerUID: peerUID, idempotencyKey: key)
            quarantine(record, error, head, context)
        }
    }

    private func quarantine(_ record: AppendRecord, _ error: PayloadError, _ head: HTTPRequestHead, _ context: ChannelHandlerContext) {
        whenDurable(services.quarantine.enqueue([record]), head, context) { offsets in
            .rejected(error, quarantined: offsets[0])
        }
    }

    /// Answers on the event loop once the ticket resolves (on the writer thread).
    private func whenDurable(
        _ ticket: AppendTicket, _ head: HTTPRequestHead, _ context: ChannelHandlerContext,
        _ success: @escaping @Sendable ([LogOffset]) -> IngressAnswer
    ) {
        let eventLoop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: eventLoop)
        ticket.whenResolved { outcome in
            eventLoop.execute {
                let (handler, context) = bound.value
                switch outcome {
                case .success(let offsets): handler.answer(success(offsets), head, context)
                case .failure(let error): handler.answer(.unavailable(error), head, context)
                }
            }
        }
    }

    private func answer(_ answer: IngressAnswer, _ head: HTTPRequestHead, _ context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(answer.body.utf8.count))
        for (name, value) in answer.headers { headers.add(name: name, value: value) }
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: answer.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: answer.body)))), promise: nil)
        let services = self.services
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            services.inFlight.add(-1)
            if !keepAlive { context.close(promise: nil) }
        }
    }
}
