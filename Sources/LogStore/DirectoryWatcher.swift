import Dispatch
import Foundation

/// Wakes a waiting task when files in a directory change (inotify: `IN_MODIFY`, `IN_CREATE`,
/// `IN_MOVED_TO`), with a timeout so a missed event costs at most one interval.
///
/// The blocking `poll(2)` runs on the watcher's own dispatch queue, never on the cooperative pool.
final class DirectoryWatcher: @unchecked Sendable {  // `descriptor` is immutable; reads of it are serialized on `queue`
    private let descriptor: Int32
    private let queue = DispatchQueue(label: "sessionlog.tail-watcher")

    /// nil when inotify is unavailable (the caller then simply polls on the timeout).
    init?(directory: String) {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        guard inotify_add_watch(fd, directory, UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO)) >= 0 else {
            close(fd)
            return nil
        }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Returns after a change in the directory or after `timeoutMs`, whichever comes first.
    func waitForChange(timeoutMs: Int32) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { [descriptor] in
                var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                _ = poll(&entry, 1, timeoutMs)
                var drain = [UInt8](repeating: 0, count: 4096)
                while read(descriptor, &drain, drain.count) > 0 {}
                continuation.resume()
            }
        }
    }
}
