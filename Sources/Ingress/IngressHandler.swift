import Foundation
import Crypto
import LogFormat
import LogStore
import Logging
import NIOCore
import NIOHTTP1
import Payloads

/// The ingress's shared, thread-safe parts: the two writers and the in-flight request count.
final class IngressServices: Sendable {
    let configuration: IngressConfiguration
    let logs: DataLogs
    var log: LogWriter { logs.main }
    var quarantine: LogWriter { logs.quarantine }
    let idempotency: IdempotencyWindow
    let inFlight = ManagedCounter()
    let connections = ManagedCounter()
    let metrics = IngressMetrics()
    /// Set on SIGTERM: new requests get 503 and every answer closes its connection.
    let draining = ManagedFlag()
    let logger: Logger
    /// Body bytes of requests read and not yet answered (validating, queued or being synced).
    let admittedBytes = ManagedCounter()
    /// Backpressure: more than `pendingBytesMax` bytes of requests are in flight.
    var isOverloaded: Bool { admittedBytes.current > configuration.pendingBytesMax }
    /// 1 while appends fail for lack of space: the transitions are logged, not every 503.
    private let diskFull = ManagedFlag()

    init(configuration: IngressConfiguration, logs: DataLogs, idempotency: IdempotencyWindow, logger: Logger) {
        self.configuration = configuration
        self.logs = logs
        self.idempotency = idempotency
        self.logger = logger
    }

    /// Logs a change of the log's health: disk full (503 until space returns), space back, or a
    /// stopped writer.
    func noteAppend(_ outcome: AppendTicket.Outcome, log: String) {
        switch outcome {
        case .success:
            if diskFull.isSet && diskFull.change(to: false) {
                logger.info("disk has space again; appends succeed", metadata: ["log.name": "\(log)"])
            }
        case .failure(let error) where error.code == .diskFull:
            if diskFull.change(to: true) {
                logger.info("disk full: answering 503 with Retry-After until space returns", metadata: ["log.name": "\(log)", "error.path": "\(error.path ?? "")"])
            }
        case .failure(let error):
            logger.error("log writer stopped: answering 503; restart the ingress", metadata: ["log.name": "\(log)", "error.message": "\(error.message)"])
        }
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
    private var bodyLimit = 0
    private var requestDeadline: Scheduled<Void>?
    private var counted = false
    /// Body bytes of this connection's request in flight, counted in `services.admittedBytes`.
    private var admittedBytes = 0

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
        services.connections.add(1)
        counted = true
        guard services.connections.current <= configuration.connectionsMax else {
            context.close(promise: nil)
            return
        }
        armRequestDeadline(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        requestDeadline?.cancel()
        if counted {
            services.connections.add(-1)
            counted = false
        }
        context.fireChannelInactive()
    }

    /// Closes the connection unless the next request completes in time (see `requestTimeoutMs`).
    private func armRequestDeadline(_ context: ChannelHandlerContext) {
        requestDeadline?.cancel()
        let channel = context.channel
        requestDeadline = context.eventLoop.scheduleTask(in: .milliseconds(services.configuration.requestTimeoutMs)) {
            channel.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            bodyLimit = requestHead.uri.hasPrefix("/batch") ? services.configuration.batchBytesMax : services.configuration.bodyBytesMax
            body.removeAll(keepingCapacity: true)
            bodyLength = 0
            oversizedHasher = nil
        case .body(var buffer):
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            bodyLength += bytes.count
            if oversizedHasher == nil && bodyLength > bodyLimit {
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
            requestDeadline?.cancel()
            requestDeadline = nil
            services.inFlight.add(1)
            admittedBytes = body.count
            services.admittedBytes.add(admittedBytes)
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
        case "/batch": route = nil
        case "/health":
            guard head.method == .GET else { return answer(.methodNotAllowed(head.method, path, allow: "GET"), head, context) }
            return answer(.health, head, context)
        case "/metrics":
            guard head.method == .GET else { return answer(.methodNotAllowed(head.method, path, allow: "GET"), head, context) }
            let text = services.metrics.render(
                log: services.log, quarantine: services.quarantine, inFlight: services.inFlight.current - 1,
                connections: services.connections.current)
            return answer(IngressAnswer(status: .ok, body: text, contentType: "text/plain; version=0.0.4"), head, context)
        default:
            return answer(.notFound(head.uri), head, context)
        }
        guard head.method == .POST else { return answer(.methodNotAllowed(head.method, path, allow: "POST"), head, context) }
        guard !services.draining.isSet else {
            return answer(.unavailable(StorageError(.closed, "the ingress is shutting down; retry on a new connection")), head, context)
        }
        let loop = onThisLoop(context)
        let source = "ingress:\(path)"
        let key = head.headers.first(name: "Idempotency-Key")
        if let hasher = oversizedHasher {
            let limit = route == nil ? services.configuration.batchBytesMax : services.configuration.bodyBytesMax
            let error = PayloadError(.tooLarge, "body of \(bodyLength) bytes exceeds the limit of \(limit)")
            let record = QuarantineRecord.oversized(
                prefix: body, length: bodyLength, sha256: Hex.string(hasher.finalize()),
                rejection: error, source: source, producerUID: peerUID, idempotencyKey: key)
            return Self.quarantine(record, error, services) { answer in loop { $0.answer(answer, head, $1) } }
        }
        guard let route else { return batch(head, source: source, loop) }
        let item = Item(bytes: body, route: route, key: key, source: source, uid: peerUID)
        Self.process(item, services) { answer in loop { $0.answer(answer, head, $1) } }
    }

    /// One payload to validate and append.
    struct Item: Sendable {
        var bytes: [UInt8]
        /// nil for a `/batch` line: its own `v` chooses, and its `idempotency_key` member is its key.
        var route: PayloadVersion?
        var key: String?
        var source: String
        var uid: UInt32
    }

    /// Validates and appends one payload, then calls `done` (from any thread) with its answer once
    /// it is durable or rejected: the single routes and every `/batch` line go through here.
    static func process(_ item: Item, _ services: IngressServices, done: @escaping @Sendable (IngressAnswer) -> Void) {
        let payload: Payload
        var key = item.key
        do throws(PayloadError) {
            let limits = services.configuration.payloadLimits
            if let route = item.route {
                payload = try PayloadValidator.validate(item.bytes, route: route, limits: limits)
            } else {
                (payload, key) = try PayloadValidator.validateBatchLine(item.bytes, limits: limits)
            }
        } catch {
            // A rejected payload does not claim its idempotency key.
            let record = QuarantineRecord.make(payload: item.bytes[...], rejection: error, source: item.source, producerUID: item.uid, idempotencyKey: key)
            return quarantine(record, error, services, done: done)
        }
        let checkpoint: Int64? = if case .v3(let session) = payload { session.acknowledgedCheckpoint } else { nil }
        let record = AppendRecord(version: payload.version.rawValue, producerUID: item.uid, idempotencyKey: key, payload: item.bytes)
        guard let key else { return append(record, checkpoint: checkpoint, key: nil, services, done: done) }
        services.idempotency.claim(key: key, version: payload.version.rawValue, digest: QuarantineRecord.sha256(item.bytes)) { claim in
            switch claim {
            case .claimed:
                append(record, checkpoint: checkpoint, key: key, services, done: done)
            case .replay(let offset, let checkpoint):
                done(.accepted(offset: offset, checkpoint: checkpoint))
            case .conflict:
                let error = PayloadError(.idempotencyConflict, "idempotency key \"\(key)\" was already used with another route or payload")
                let rejected = QuarantineRecord.make(payload: item.bytes[...], rejection: error, source: item.source, producerUID: item.uid, idempotencyKey: key)
                quarantine(rejected, error, services, done: done)
            }
        }
    }

    /// Appends an accepted payload; settles its idempotency key once the outcome is known.
    private static func append(
        _ record: AppendRecord, checkpoint: Int64?, key: String?, _ services: IngressServices,
        done: @escaping @Sendable (IngressAnswer) -> Void
    ) {
        services.log.enqueue([record]).whenResolved { outcome in
            services.noteAppend(outcome, log: "main")
            switch outcome {
            case .success(let offsets):
                if let key {
                    let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
                    services.idempotency.complete(key: key, offset: offsets[0], checkpoint: checkpoint, receivedAtMs: now)
                }
                done(.accepted(offset: offsets[0], checkpoint: checkpoint))
            case .failure(let error):
                if let key { services.idempotency.release(key: key) }
                done(.unavailable(error))
            }
        }
    }

    private static func quarantine(
        _ record: AppendRecord, _ error: PayloadError, _ services: IngressServices, done: @escaping @Sendable (IngressAnswer) -> Void
    ) {
        services.metrics.rejected(error.code.rawValue)
        services.quarantine.enqueue([record]).whenResolved { outcome in
            services.noteAppend(outcome, log: "quarantine")
            switch outcome {
            case .success(let offsets): done(.rejected(error, quarantined: offsets[0]))
            case .failure(let error): done(.unavailable(error))
            }
        }
    }

    /// `/batch`: every NDJSON line is processed like a single request; the answer is NDJSON, one
    /// line per input line in order (the single answer with its `"status"`), sent once every line
    /// is durable or rejected. A final empty line (after the last newline) is not a payload.
    private func batch(_ head: HTTPRequestHead, source: String, _ loop: @escaping @Sendable (@escaping @Sendable (IngressHandler, ChannelHandlerContext) -> Void) -> Void) {
        var lines = body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Array($0) }
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard !lines.isEmpty else {
            return loop { $0.answer(IngressAnswer(status: .ok, body: "", contentType: "application/x-ndjson"), head, $1) }
        }
        let results = BatchResults(count: lines.count)
        for (index, line) in lines.enumerated() {
            let item = Item(bytes: line, route: nil, key: nil, source: "\(source):\(index + 1)", uid: peerUID)
            Self.process(item, services) { answer in
                guard let answers = results.set(index, answer.withStatus) else { return }
                loop { $0.answer(IngressAnswer(status: .ok, body: BatchResults.body(answers), contentType: "application/x-ndjson"), head, $1) }
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

    private func answer(_ answer: IngressAnswer, _ head: HTTPRequestHead, _ context: ChannelHandlerContext) {
        let route = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        services.metrics.answered(
            route: ["/v3/session", "/v2/session", "/v1/events", "/batch", "/health", "/metrics"].contains(route) ? route : "other",
            status: answer.status.code)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: answer.contentType)
        headers.add(name: "Content-Length", value: String(answer.body.utf8.count))
        for (name, value) in answer.headers { headers.add(name: name, value: value) }
        let keepAlive = head.isKeepAlive && !services.draining.isSet
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: answer.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: answer.body)))), promise: nil)
        let services = self.services
        services.admittedBytes.add(-admittedBytes)
        admittedBytes = 0
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            services.inFlight.add(-1)
            if !keepAlive { context.close(promise: nil) }
        }
        if keepAlive { armRequestDeadline(context) }
    }
}
