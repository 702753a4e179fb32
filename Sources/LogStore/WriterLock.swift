import Foundation
import Synchronization

/// A single-writer lock: `flock(2)` on a lock file that holds the owner's pid (a log directory's
/// `LOCK`, a projection database's `.lock`).
///
/// The kernel releases it when the owner exits, however it exits (`kill -9` included), so a
/// stale lock never needs cleaning up. Held for the writer's lifetime.
public final class WriterLock: Sendable {
    private let descriptor: Int32
    private let released = Mutex(false)

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// Takes the log directory's lock or throws `.locked` naming the holder's pid.
    static func acquire(_ directory: LogDirectory) throws -> WriterLock {
        try acquire(lockFile: directory.lockPath) { holder in StorageError.locked(path: directory.path, holder: holder) }
    }

    /// Takes the lock on `lockFile` (created if needed) or throws `busy(holder)`, where the holder
    /// is "pid N" or "another process".
    public static func acquire(lockFile path: String, busy: (String) -> any Error) throws -> WriterLock {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError.syscall("open", errno: errno, path: path) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let lockErrno = errno
            var holder = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &holder, holder.count, 0)
            close(fd)
            guard lockErrno == EWOULDBLOCK else { throw StorageError.syscall("flock", errno: lockErrno, path: path) }
            let pid = String(decoding: holder.prefix(max(0, n)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw busy(pid.isEmpty ? "another process" : "pid \(pid)")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
        return WriterLock(descriptor: fd)
    }

    /// The pid of the process holding the lock on `lockFile`, or nil when none does (or the file
    /// does not exist). Reads `/proc/locks`, so asking never takes the lock: a writer starting at
    /// the same moment is not turned away.
    public static func holder(of lockFile: String) -> Int32? {
        var info = stat()
        guard stat(lockFile, &info) == 0, let locks = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) else { return nil }
        // "3: FLOCK  ADVISORY  WRITE 7283 fe:00:16474849 0 EOF": pid, then major:minor (hex):inode.
        let dev = UInt64(info.st_dev)  // glibc's gnu_dev_major/minor, which are macros Swift cannot import
        let device = (major: (dev >> 8) & 0xfff | (dev >> 32) & ~0xfff, minor: dev & 0xff | (dev >> 12) & ~0xff)
        for line in locks.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 6, fields[1] == "FLOCK", fields[3] == "WRITE" else { continue }
            let file = fields[5].split(separator: ":")
            guard file.count == 3, UInt64(file[0], radix: 16) == device.major, UInt64(file[1], radix: 16) == device.minor,
                UInt64(file[2]) == UInt64(info.st_ino)
            else { continue }
            return Int32(fields[4])
        }
        return nil
    }

    /// Releases the lock now (idempotent); another writer may open the log as soon as this returns.
    public func release() {
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
