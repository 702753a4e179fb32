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
    let idempotency: IdempotencyWindow
    let inFlight = ManagedCounter()

    init(configuration: IngressConfiguration, log: LogWriter, quarantine: LogWriter, idempotency: IdempotencyWindow) {
        self.configuration = configuration
        self.log = log
        self.quarantine = quarantine
        self.idempotency = idempotency
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
        let uid = peerUID
        let payload: Payload
        do throws(PayloadError) {
            payload = try PayloadValidator.validate(bytes, route: route, limits: services.configuration.payloadLimits)
        } catch {
            // A rejected payload does not claim its idempotency key.
            let record = QuarantineRecord.make(payload: bytes[...], rejection: error, source: source, producerUID: uid, idempotencyKey: key)
            return quarantine(record, error, head, context)
        }
        let checkpoint: Int64? = if case .v3(let session) = payload { session.acknowledgedCheckpoint } else { nil }
        let record = AppendRecord(version: route.rawValue, producerUID: uid, idempotencyKey: key, payload: bytes)
        guard let key else { return append(record, checkpoint: checkpoint, key: nil, head, context) }
        let loop = onThisLoop(context)
        services.idempotency.claim(key: key, version: route.rawValue, digest: QuarantineRecord.sha256(bytes)) { claim in
            loop { handler, context in
                switch claim {
                case .claimed:
                    handler.append(record, checkpoint: checkpoint, key: key, head, context)
                case .replay(let offset, let checkpoint):
                    handler.answer(.accepted(offset: offset, checkpoint: checkpoint), head, context)
                case .conflict:
                    let error = PayloadError(.idempotencyConflict, "Idempotency-Key \"\(key)\" was already used with another route or payload")
                    let rejected = QuarantineRecord.make(payload: bytes[...], rejection: error, source: source, producerUID: uid, idempotencyKey: key)
                    handler.quarantine(rejected, error, head, context)
                }
            }
        }
    }

    /// Appends an accepted payload and answers once it is durable; settles its idempotency key.
    private func append(_ record: AppendRecord, checkpoint: Int64?, key: String?, _ head: HTTPRequestHead, _ context: ChannelHandlerContext) {
        let services = self.services
        whenDurable(services.log.enqueue([record]), head, context) { outcome in
            switch outcome {
            case .success(let offsets):
                if let key {
                    let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
                    services.idempotency.complete(key: key, offset: offsets[0], checkpoint: checkpoint, receivedAtMs: now)
                }
                return .accepted(offset: offsets[0], checkpoint: checkpoint)
            case .failure(let error):
                if let key { services.idempotency.release(key: key) }
                return .unavailable(error)
            }
        }
    }

    private func quarantine(_ record: AppendRecord, _ error: PayloadError, _ head: HTTPRequestHead, _ context: ChannelHandlerContext) {
        whenDurable(services.quarantine.enqueue([record]), head, context) { outcome in
            switch outcome {
            case .success(let offsets): .rejected(error, quarantined: offsets[0])
            case .failure(let error): .unavailable(error)
            }
        }
    }

    /// A function that runs a body with this handler and context on this channel's event loop,
    /// from any thread (writer thread callbacks, another connection's loop).
    private func onThisLoop(
        _ context: ChannelHandlerContext
    ) -> @Sendable (@escaping @Sendable (IngressHandler, ChannelHandlerContext) -> Void) -> Void {
        let eventLoop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: eventLoop)  // created here, on the loop
        return { body in eventLoop.execute { body(bound.value.0, bound.value.1) } }
    }

    /// Answers on the event loop once the ticket resolves (on the writer thread).
    private func whenDurable(
        _ ticket: AppendTicket, _ head: HTTPRequestHead, _ context: ChannelHandlerContext,
        _ decide: @escaping @Sendable (AppendTicket.Outcome) -> IngressAnswer
    ) {
        let loop = onThisLoop(context)
        ticket.whenResolved { outcome in
            let answer = decide(outcome)
            loop { handler, context in handler.answer(answer, head, context) }
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
