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
    /// Peers allowed by SO_PEERCRED; empty lists allow everyone who can open the socket (mode 0660).
    public var allowedUIDs: Set<UInt32> = []
    public var allowedGIDs: Set<UInt32> = []
    public var writer = LogWriterOptions()
    /// Event-loop threads.
    public var threads = System.coreCountForIngress

    public init(socketPath: String, logPath: String, rejectedPath: String) {
        self.socketPath = socketPath
        self.logPath = logPath
        self.rejectedPath = rejectedPath
    }

    var payloadLimits: PayloadLimits { PayloadLimits(bodyBytesMax: bodyBytesMax) }
}

public enum System {
    public static var coreCountForIngress: Int { max(1, min(4, sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}

#if canImport(Glibc)
import Glibc
#endif
