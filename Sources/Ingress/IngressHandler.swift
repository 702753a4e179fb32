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
    /// Set while a `POST /requeue` runs (one at a time).
    let requeueing = ManagedFlag()
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
/// appends it, and answers once the record is durable. Pipelined requests are processed as they
/// arrive (their appends share group commits) and answered strictly in request order; reads
/// continue while answers are owed, up to `answersOwedMax`, so a producer's next request never
/// waits for an `epoll` re-arm. A client that does not read its answers is not buffered for:
/// while the connection's unwritten answers are over NIO's high watermark, no further request is
/// parsed or read.
///
/// Not thread-safe: used on its channel's event loop only.
final class IngressHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Never
    /// Answers are written as bytes (`IngressAnswer.encoded`): the pipeline has no response encoder.
    typealias OutboundOut = ByteBuffer

    /// Requests read and not yet answered on one connection before its reads pause.
    static let answersOwedMax = 256

    /// A request read in full, waiting for its answer (or for earlier answers to be written).
    private struct Owed {
        var version: HTTPVersion
        var keepAlive: Bool
        /// A HEAD request: its answer is sent without the body.
        var headOnly = false
        /// nil for a target with no route (counted as "other" in the metrics).
        var route: IngressRoute?
        var admittedBytes: Int
        var answer: IngressAnswer?
    }

    private let services: IngressServices
    private var peerUID: UInt32 = UInt32.max
    private var parser: HTTPRequestParser
    private var head: RequestHead?
    private var route: IngressRoute?
    private var body: [UInt8] = []
    private var bodyLength = 0
    private var oversizedHasher: SHA256?
    /// The largest body the current request's route takes.
    private var bodyLimit: Int { route == .batch ? services.configuration.batchBytesMax : services.configuration.bodyBytesMax }
    /// When the connection closes unless the request being read completes first; nil while
    /// answers are owed. Moving it is a field write: one timer (`deadlineCheck`) per connection
    /// checks it, rescheduling itself, instead of a timer armed and cancelled per request.
    private var requestDeadline: NIODeadline?
    private var deadlineCheck: Scheduled<Void>?
    private var counted = false
    /// Answers owed, oldest first; `owedBase` is the sequence number of `owed.first`.
    private var owed = CircularBuffer<Owed>()
    private var owedBase = 0
    /// A request asked to close the connection: later requests are not read.
    private var closingAfterOwed = false
    /// The answer that closes the connection was written.
    private var answeredLast = false
    private var readPending = false

    init(services: IngressServices) {
        self.services = services
        parser = HTTPRequestParser(headBytesMax: services.configuration.headerBytesMax)
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
        deadlineCheck?.cancel()
        deadlineCheck = nil
        if counted {
            services.connections.add(-1)
            counted = false
        }
        context.fireChannelInactive()
    }

    /// Closes the connection unless the next request completes in time (see `requestTimeoutMs`).
    private func armRequestDeadline(_ context: ChannelHandlerContext) {
        let deadline = NIODeadline.now() + .milliseconds(services.configuration.requestTimeoutMs)
        requestDeadline = deadline
        if deadlineCheck == nil { scheduleDeadlineCheck(at: deadline, context) }
    }

    private func scheduleDeadlineCheck(at deadline: NIODeadline, _ context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadlineCheck = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = bound.value
            handler.deadlineCheck = nil
            // No deadline while answers are owed: the next `armRequestDeadline` schedules a check.
            guard let deadline = handler.requestDeadline else { return }
            if deadline <= .now() {
                context.close(promise: nil)
            } else {
                handler.scheduleDeadlineCheck(at: deadline, context)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closingAfterOwed else { return }
        parser.append(unwrapInboundIn(data))
        parseRequests(context)
    }

    /// Takes the requests read so far, while the connection can take their answers.
    private func parseRequests(_ context: ChannelHandlerContext) {
        do throws(HTTPRequestError) {
            while !closingAfterOwed, context.channel.isWritable, let event = try parser.next() { take(event, context) }
        } catch {
            refuse(error, context)
        }
    }

    /// The client read enough of its answers: the requests held back are parsed, reads resume.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            parseRequests(context)
            resumeReading(context)
        }
        context.fireChannelWritabilityChanged()
    }

    private func take(_ event: HTTPRequestParser.Event, _ context: ChannelHandlerContext) {
        switch event {
        case .head(let requestHead):
            head = requestHead
            route = IngressRoute(target: requestHead.target)
            body.removeAll(keepingCapacity: true)
            bodyLength = 0
            oversizedHasher = nil
            if requestDeadline == nil { armRequestDeadline(context) }
            continueIfExpected(requestHead, context)
        case .body(let buffer):
            buffer.withUnsafeReadableBytes { appendBody($0) }
        case .end:
            guard let head else { preconditionFailure("the parser ends only a request whose head it returned") }
            self.head = nil
            requestDeadline = nil
            let sequence = owe(
                Owed(version: head.version, keepAlive: head.keepAlive, headOnly: head.method == .HEAD, route: route, admittedBytes: body.count))
            if !head.keepAlive { closingAfterOwed = true }
            handle(head, route: route, sequence: sequence, context: context)
        }
    }

    /// Keeps a body part: all of it up to `bodyLimit`; past the limit, the first
    /// `QuarantineRecord.keptBytesMax` bytes and a SHA-256 of the whole.
    private func appendBody(_ bytes: UnsafeRawBufferPointer) {
        bodyLength += bytes.count
        if oversizedHasher == nil && bodyLength > bodyLimit {
            var hasher = SHA256()
            hasher.update(data: body)
            oversizedHasher = hasher
            body = Array(body.prefix(QuarantineRecord.keptBytesMax))
        }
        if oversizedHasher != nil {
            oversizedHasher!.update(bufferPointer: bytes)
            if body.count < QuarantineRecord.keptBytesMax {
                body += bytes.prefix(QuarantineRecord.keptBytesMax - body.count)
            }
        } else {
            body.append(contentsOf: bytes)
        }
    }

    /// `Expect: 100-continue` (curl sends it for bodies over 1 MiB, then waits a second for it):
    /// the interim answer goes out at once, unless answers are owed for earlier pipelined
    /// requests — it may not overtake them — in which case the client sends after its own wait.
    private func continueIfExpected(_ head: RequestHead, _ context: ChannelHandlerContext) {
        guard head.expectsContinue, owed.isEmpty else { return }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n")), promise: nil)
    }

    /// A request the parser rejects is answered (400, 431 or 501: `IngressAnswer.malformed`) in
    /// its place in the answer order, after the answers owed for earlier requests, then the
    /// connection closes; nothing after it is read.
    private func refuse(_ error: HTTPRequestError, _ context: ChannelHandlerContext) {
        closingAfterOwed = true
        head = nil
        requestDeadline = nil
        let sequence = owe(Owed(version: .http1_1, keepAlive: false, route: nil, admittedBytes: 0))
        complete(sequence, .malformed(error, headerBytesMax: services.configuration.headerBytesMax), context)
    }

    /// Errors of the connection itself (a reset, a failed read) close it at once.
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    /// Counts a request as in flight and owes it an answer; returns its sequence number.
    private func owe(_ request: Owed) -> Int {
        services.inFlight.add(1)
        services.admittedBytes.add(request.admittedBytes)
        owed.append(request)
        return owedBase + owed.count - 1
    }

    /// Holds reads while `answersOwedMax` answers are owed (a producer pipelining without
    /// reading), or while the answers written are not (a client not reading them).
    func read(context: ChannelHandlerContext) {
        if owed.count >= Self.answersOwedMax || !context.channel.isWritable {
            readPending = true
        } else {
            context.read()
        }
    }

    private func resumeReading(_ context: ChannelHandlerContext) {
        guard readPending else { return }
        readPending = false
        read(context: context)
    }

    private func handle(_ head: RequestHead, route: IngressRoute?, sequence: Int, context: ChannelHandlerContext) {
        guard let route else { return complete(sequence, .notFound(head.target), context) }
        // HEAD is GET without the body (RFC 9110 §9.3.2): `curl -I` and load balancers' checks.
        guard head.method == route.method || (head.method == .HEAD && route.method == .GET) else {
            let allow = route.method == .GET ? "GET, HEAD" : "\(route.method)"
            return complete(sequence, .methodNotAllowed(head.method, route.rawValue, allow: allow), context)
        }
        if let coding = head.contentCoding, route.method == .POST {
            return complete(sequence, .unsupportedContentCoding(coding), context)
        }
        switch route {
        case .health: return complete(sequence, .health, context)
        case .metrics:
            let text = services.metrics.render(
                log: services.log, quarantine: services.quarantine, inFlight: services.inFlight.current - 1,
                connections: services.connections.current, idempotencyKeys: services.idempotency.count)
            return complete(sequence, IngressAnswer(status: .ok, body: text, contentType: "text/plain; version=0.0.4"), context)
        case .v3, .v2, .v1, .batch, .requeue: break
        }
        guard !services.draining.isSet else {
            return complete(sequence, .unavailable(StorageError(.closed, "the ingress is shutting down; retry on a new connection")), context)
        }
        if route == .requeue { return requeue(sequence, context) }
        let answer = answering(sequence, context)
        let key = head.idempotencyKey
        if let hasher = oversizedHasher {
            let error = PayloadError(.tooLarge, "body of \(bodyLength) bytes exceeds the limit of \(bodyLimit)")
            let record = QuarantineRecord.oversized(
                prefix: body, length: bodyLength, sha256: Hex.string(hasher.finalize()),
                rejection: error, source: Item.source(path: route.rawValue, line: nil), producerUID: peerUID, idempotencyKey: key)
            return Self.quarantine(record, error, services, done: answer)
        }
        guard let version = route.payloadVersion else { return batch(path: route.rawValue, answer) }
        let item = Item(bytes: body, route: version, key: key, path: route.rawValue, line: nil, uid: peerUID)
        Self.process(item, services, done: answer)
    }

    /// `POST /requeue`: `sessionlog requeue` run by this ingress, through its writer and its
    /// idempotency window, answered with the summary once every requeued payload is durable.
    /// Only the ingress's own user and root may ask, one requeue at a time.
    private func requeue(_ sequence: Int, _ context: ChannelHandlerContext) {
        guard peerUID == 0 || peerUID == geteuid() else { return complete(sequence, .forbidden(uid: peerUID), context) }
        guard services.requeueing.change(to: true) else { return complete(sequence, .requeueRunning, context) }
        let (answer, services) = (answering(sequence, context), services)
        Task {
            defer { _ = services.requeueing.change(to: false) }
            do {
                let summary = try await QuarantineRequeue.run(through: services)
                services.logger.info("requeued", metadata: ["requeue.summary": "\(summary.json(dryRun: false))"])
                answer(IngressAnswer(status: .ok, body: summary.json(dryRun: false)))
            } catch {
                answer(.unavailable(error as? StorageError ?? StorageError(.io, "requeue failed: \(error)")))
            }
        }
    }

    /// One payload to validate and append.
    struct Item: Sendable {
        var bytes: [UInt8]
        /// nil for a `/batch` line: its own `v` chooses, and its `idempotency_key` member is its key.
        var route: PayloadVersion?
        var key: String?
        /// The route's path, and for a `/batch` line its 1-based number: the quarantine's source.
        var path: String
        var line: Int?
        var uid: UInt32

        /// `ingress:PATH` or `ingress:/batch:LINE`, built only when a payload is quarantined.
        var source: String { Self.source(path: path, line: line) }

        static func source(path: String, line: Int?) -> String { "ingress:\(path)" + (line.map { ":\($0)" } ?? "") }
    }

    /// A payload that passed validation: its record and its answer's checkpoint.
    struct Accepted: Sendable {
        var record: AppendRecord
        var checkpoint: Int64?
        var key: String? { record.idempotencyKey }
    }

    /// Validates and appends one payload of a single route, then calls `done` (from any thread)
    /// with its answer once it is durable or rejected.
    static func process(_ item: Item, _ services: IngressServices, done: @escaping @Sendable (IngressAnswer) -> Void) {
        guard let accepted = validate(item, services, rejected: done) else { return }
        settle(accepted, item, services, done: done)
    }

    /// The accepted payload, or nil after sending a rejected one to the quarantine (whose answer
    /// goes to `rejected`). A rejected payload does not claim its idempotency key. A header key
    /// outside the keys' bounds rejects its payload, which is quarantined without that key.
    static func validate(_ item: Item, _ services: IngressServices, rejected: @escaping @Sendable (IngressAnswer) -> Void) -> Accepted? {
        let verdict: PayloadVerdict
        var key = item.key
        do throws(PayloadError) {
            if let headerKey = item.key, let error = PayloadValidator.idempotencyKeyHeaderError(headerKey) {
                key = nil
                throw error
            }
            let limits = services.configuration.payloadLimits
            if let route = item.route {
                verdict = try PayloadValidator.check(item.bytes[...], route: route, limits: limits)
            } else {
                (verdict, key) = try PayloadValidator.checkBatchLine(item.bytes[...], limits: limits)
            }
        } catch {
            let record = QuarantineRecord.make(payload: item.bytes[...], rejection: error, source: item.source, producerUID: item.uid, idempotencyKey: key)
            quarantine(record, error, services, done: rejected)
            return nil
        }
        return Accepted(
            record: AppendRecord(version: verdict.version.rawValue, producerUID: item.uid, idempotencyKey: key, payload: item.bytes),
            checkpoint: verdict.acknowledgedCheckpoint)
    }

    /// Appends an accepted payload, claiming its idempotency key first when it has one.
    private static func settle(_ accepted: Accepted, _ item: Item, _ services: IngressServices, done: @escaping @Sendable (IngressAnswer) -> Void) {
        guard let key = accepted.key else { return append([accepted], services) { done(.appended($0, checkpoint: accepted.checkpoint)) } }
        services.idempotency.claim(key: key, version: accepted.record.version, payload: item.bytes) { claim in
            switch claim {
            case .claimed:
                append([accepted], services) { done(.appended($0, checkpoint: accepted.checkpoint)) }
            case .replay(let offset, let checkpoint):
                done(.accepted(offset: offset, checkpoint: checkpoint))
            case .conflict:
                let error = PayloadError.idempotencyConflict(key: key)
                let rejected = QuarantineRecord.make(payload: item.bytes[...], rejection: error, source: item.source, producerUID: item.uid, idempotencyKey: key)
                quarantine(rejected, error, services, done: done)
            }
        }
    }

    /// Appends accepted payloads as one request to the writer (they share a group commit),
    /// settles the idempotency keys of those that have one, then calls `done` with the outcome:
    /// every payload's offset, in order, or the error that failed them all.
    private static func append(
        _ accepted: [Accepted], _ services: IngressServices, done: @escaping @Sendable (AppendTicket.Outcome) -> Void
    ) {
        services.log.enqueue(accepted.map(\.record)).whenResolved { outcome in
            services.noteAppend(outcome, log: "main")
            lazy var now = services.configuration.writer.clock()  // read only when a key settles
            for (index, payload) in accepted.enumerated() {
                guard let key = payload.key else { continue }
                switch outcome {
                case .success(let offsets):
                    services.idempotency.complete(key: key, offset: offsets[index], checkpoint: payload.checkpoint, receivedAtMs: now)
                case .failure:
                    services.idempotency.release(key: key)
                }
            }
            done(outcome)
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

    /// `/batch`: every NDJSON line is validated and answered like a single request, and valid
    /// lines are appended in line order; the answer is NDJSON, one line per input line in order (the single
    /// answer with its `"status"`), sent once every line is durable or rejected. A final empty line
    /// (after the last newline) is not a payload.
    private func batch(path: String, _ answer: @escaping @Sendable (IngressAnswer) -> Void) {
        let lines = Self.lines(of: body)
        guard !lines.isEmpty else {
            return answer(IngressAnswer(status: .ok, body: "", contentType: "application/x-ndjson"))
        }
        let results = BatchResults(count: lines.count)
        let finish: @Sendable ([(Int, BatchResults.Line)]) -> Void = { settled in
            guard let all = results.set(settled) else { return }
            answer(IngressAnswer(status: .ok, body: BatchResults.body(all), contentType: "application/x-ndjson"))
        }
        // Valid lines go to the writer as one request, in line order, when none carries an
        // idempotency key; otherwise each claims its key and is appended on its own (in order).
        var accepted: [(line: Int, item: Item, accepted: Accepted)] = []
        for (index, line) in lines.enumerated() {
            let item = Item(bytes: line, route: nil, key: nil, path: path, line: index + 1, uid: peerUID)
            if let payload = Self.validate(item, services, rejected: { finish([(index, .answered($0))]) }) { accepted.append((index, item, payload)) }
        }
        if accepted.contains(where: { $0.accepted.key != nil }) {
            for (index, item, payload) in accepted { Self.settle(payload, item, services) { finish([(index, .answered($0))]) } }
        } else if !accepted.isEmpty {
            let settled = accepted.map { (line: $0.line, checkpoint: $0.accepted.checkpoint) }
            Self.append(accepted.map(\.accepted), services) { outcome in
                switch outcome {
                case .success(let offsets):
                    finish(settled.indices.map { (settled[$0].line, .accepted(offset: offsets[$0], checkpoint: settled[$0].checkpoint)) })
                case .failure(let error):
                    finish(settled.map { ($0.line, .answered(.unavailable(error))) })
                }
            }
        }
    }

    /// An NDJSON body's lines, each as its own bytes (a record's payload); a final empty line,
    /// after the last newline, is not a line.
    static func lines(of body: [UInt8]) -> [[UInt8]] {
        body.withUnsafeBufferPointer { (buffer) -> [[UInt8]] in
            var lines: [[UInt8]] = []
            var start = 0
            while start < buffer.count {
                let rest = UnsafeRawPointer(buffer.baseAddress! + start)
                var end = buffer.count
                if let newline = memchr(rest, Int32(UInt8(ascii: "\n")), buffer.count - start) {
                    end = start + (UnsafeRawPointer(newline) - rest)
                }
                lines.append(Array(buffer[start..<end]))
                start = end + 1
            }
            return lines
        }
    }

    /// The function that takes request `sequence`'s answer from any thread (the writer thread,
    /// a `/batch` line's callbacks) and completes it on this channel's event loop.
    private func answering(_ sequence: Int, _ context: ChannelHandlerContext) -> @Sendable (IngressAnswer) -> Void {
        let eventLoop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: eventLoop)  // created here, on the loop
        return { answer in eventLoop.execute { bound.value.0.complete(sequence, answer, bound.value.1) } }
    }

    /// Records request `sequence`'s answer, then writes every answer now due, in request order.
    /// After an answer that closes the connection, later answers are only accounted for.
    private func complete(_ sequence: Int, _ answer: IngressAnswer, _ context: ChannelHandlerContext) {
        let index = owed.index(owed.startIndex, offsetBy: sequence - owedBase)
        assert(sequence >= owedBase && sequence - owedBase < owed.count && owed[index].answer == nil, "an answer for a request not owed")
        owed[index].answer = answer
        var wrote = false
        while let first = owed.first, let due = first.answer {
            owed.removeFirst()
            owedBase += 1
            services.admittedBytes.add(-first.admittedBytes)
            guard !answeredLast else {
                services.inFlight.add(-1)
                continue
            }
            answeredLast = !write(due, for: first, context)
            wrote = true
        }
        guard wrote else { return }
        context.flush()
        // Also after the closing answer: it closes the connection once written, and a client
        // that never reads it is closed by the deadline instead.
        if owed.isEmpty && head == nil {
            armRequestDeadline(context)
        }
        resumeReading(context)
    }

    /// Writes one answer (not flushed), and counts its request as answered; false when the
    /// connection closes after it, which it does once the answer is written.
    private func write(_ answer: IngressAnswer, for request: Owed, _ context: ChannelHandlerContext) -> Bool {
        services.metrics.answered(route: request.route, status: answer.status.code)
        let keepAlive = request.keepAlive && !services.draining.isSet
        let bytes = answer.encoded(version: request.version, keepAlive: keepAlive, withBody: !request.headOnly, allocator: context.channel.allocator)
        services.inFlight.add(-1)
        if keepAlive {
            // No promise: tracking each write's completion costs more than the rest of the write.
            context.write(wrapOutboundOut(bytes), promise: nil)
        } else {
            // Closing at once would drop the answer if the socket could not take it all yet.
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.write(wrapOutboundOut(bytes)).whenComplete { _ in bound.value.close(promise: nil) }
        }
        return keepAlive
    }
}
