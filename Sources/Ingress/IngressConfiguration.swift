import LogStore
import Payloads

/// What `sessionlog ingress` serves and its limits (SPEC §2). Every limit is named and bounded.
public struct IngressConfiguration: Sendable {
    public var socketPath: String
    public var logPath: String
    public var rejectedPath: String
    /// Largest accepted body (`--max-body`); larger bodies get 413 and are quarantined in part.
    public var bodyBytesMax = 1 << 20
    /// Largest `/batch` body (its lines are each limited to `bodyBytesMax`).
    public var batchBytesMax = 16 << 20
    /// Largest request head (request line and headers); a larger one gets 431 and the
    /// connection closes.
    public var headerBytesMax = 16 << 10
    /// A connection must complete each request (headers and body) within this time of its
    /// previous answer or of connecting, else it is closed: slow-loris clients and idle
    /// keep-alive connections cannot hold the server.
    public var requestTimeoutMs: Int64 = 30_000
    /// Connections beyond this are closed at once. With one request in flight per connection
    /// (pipelined ones wait unread), memory is bounded by about connections × body limit.
    public var connectionsMax = 256
    /// While the bodies of requests read and not yet answered exceed this many bytes, connections
    /// stop reading (backpressure); what is already read still completes.
    public var pendingBytesMax = 64 << 20
    /// Peers allowed by SO_PEERCRED; empty lists allow everyone who can open the socket (mode 0660).
    public var allowedUIDs: Set<UInt32> = []
    public var allowedGIDs: Set<UInt32> = []
    public var writer = LogWriterOptions()
    /// The idempotency window is saved (`log/idempotency.snapshot`) this often while keys are
    /// accepted, and at the stop, so a start after a crash reads at most this much of the log
    /// again to rebuild it; 0 saves it only at the stop.
    public var snapshotIntervalMs: Int64 = 300_000
    /// Event-loop threads: one per core, at most 4 (the writer thread does the disk work).
    public var threads = max(1, min(4, sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    public init(socketPath: String, logPath: String, rejectedPath: String) {
        self.socketPath = socketPath
        self.logPath = logPath
        self.rejectedPath = rejectedPath
    }

    var payloadLimits: PayloadLimits { PayloadLimits(bodyBytesMax: bodyBytesMax) }
}

#if canImport(Glibc)
import Glibc
#endif
