import Foundation
import Synchronization

/// The single-writer lock of a log directory: `flock(2)` on `LOCK`, which holds the owner's pid.
///
/// The kernel releases it when the owner exits, however it exits (`kill -9` included), so a
/// stale lock never needs cleaning up. Not thread-safe; held for the writer's lifetime.
final class WriterLock: Sendable {
    private let descriptor: Int32
    private let released = Mutex(false)

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// Takes the lock or throws `.locked` naming the holder's pid.
    static func acquire(_ directory: LogDirectory) throws -> WriterLock {
        let path = directory.lockPath
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError.syscall("open", errno: errno, path: path) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let lockErrno = errno
            var holder = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &holder, holder.count, 0)
            close(fd)
            guard lockErrno == EWOULDBLOCK else { throw StorageError.syscall("flock", errno: lockErrno, path: path) }
            let pid = String(decoding: holder.prefix(max(0, n)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw StorageError.locked(path: directory.path, holder: pid.isEmpty ? "another process" : "pid \(pid)")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
        return WriterLock(descriptor: fd)
    }

    /// Releases the lock now (idempotent); another writer may open the log as soon as this returns.
    func release() {
        let wasReleased = released.withLock { done in
            defer { done = true }
            return done
        }
        guard !wasReleased else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    deinit { release() }
}
