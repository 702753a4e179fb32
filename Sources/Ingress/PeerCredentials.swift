import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The uid and gid of the process at the other end of a Unix socket (`getsockopt(SO_PEERCRED)`).
struct PeerCredentials: Sendable {
    var uid: UInt32
    var gid: UInt32

    /// nil when the channel is not a Unix socket or the option cannot be read.
    static func read(_ channel: Channel) -> PeerCredentials? {
        guard let provider = channel as? SocketOptionProvider else { return nil }
        let future: EventLoopFuture<PeerCred> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        // On its own event loop the option is read synchronously, so the future is complete and
        // the callback runs before `whenSuccess` returns.
        var result: PeerCredentials?
        future.assumeIsolated().whenSuccess { result = PeerCredentials(uid: $0.uid, gid: $0.gid) }
        return result
    }
}

/// The layout of Linux's `struct ucred` (pid_t, uid_t, gid_t), which Glibc's module does not
/// export (it needs _GNU_SOURCE).
struct PeerCred: Sendable {
    var pid: Int32
    var uid: UInt32
    var gid: UInt32
}
