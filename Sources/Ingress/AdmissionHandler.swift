import NIOCore

/// Backpressure (SPEC §2: under overload the ingress stops reading rather than growing memory).
/// While the body bytes of requests read and not yet answered exceed `pendingBytesMax`, a
/// connection's reads are held back and retried every millisecond, so producers' data stays in
/// their socket buffers and no new requests are parsed.
///
/// One per connection, on its event loop; sits at the head of the pipeline (outbound `read`).
final class AdmissionHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = Never

    private let services: IngressServices
    private var retryScheduled = false

    init(services: IngressServices) { self.services = services }

    func read(context: ChannelHandlerContext) {
        guard services.isOverloaded else {
            context.read()
            return
        }
        services.metrics.backpressurePauses.add(1)
        guard !retryScheduled else { return }
        retryScheduled = true
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .milliseconds(1)) {
            let (handler, context) = loopBound.value
            handler.retryScheduled = false
            handler.read(context: context)
        }
    }
}
