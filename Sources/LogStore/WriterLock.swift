import Foundation
import Synchronization

/// A single-writer lock on a lock file that holds the owner's pid (a log directory's `LOCK`, a
/// projection database's `.lock`): `flock(2)` excludes other writers, and an open file
/// description lock (`F_OFD_SETLK`, fcntl(2)) over the whole file lets `holder(of:)` see it.
///
/// The kernel releases both when the owner exits, however it exits (`kill -9` included), so a
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
            let holder = writtenPID(fd)
            close(fd)
            guard lockErrno == EWOULDBLOCK else { throw StorageError.syscall("flock", errno: lockErrno, path: path) }
            throw busy(holder.map { "pid \($0)" } ?? "another process")
        }
        var lock = wholeFile(F_WRLCK)
        guard fcntl(fd, setOFDLock, &lock) == 0 else {
            let lockErrno = errno
            close(fd)
            throw StorageError.syscall("fcntl(F_OFD_SETLK)", errno: lockErrno, path: path)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = pwrite(fd, pid, pid.count, 0)  // then cut: a reader never finds the file empty
        _ = ftruncate(fd, off_t(pid.count))
        return WriterLock(descriptor: fd)
    }

    /// The pid of the process holding the lock on `lockFile`, or nil when none does (or the file
    /// does not exist). Asks with `F_OFD_GETLK`, which never takes the lock (a writer starting at
    /// the same moment is not turned away) and needs only read access; the pid is the one the
    /// holder wrote into the file.
    public static func holder(of lockFile: String) -> Int32? {
        let fd = open(lockFile, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var lock = wholeFile(F_WRLCK)
        guard fcntl(fd, getOFDLock, &lock) == 0, lock.l_type != Int16(F_UNLCK) else { return nil }
        // A holder writes its pid right after it takes the lock: wait out that moment.
        for _ in 0..<100 {
            if let pid = writtenPID(fd) { return pid }
            usleep(1_000)
        }
        return nil
    }

    /// The pid a holder wrote into the lock file open at `fd` (`"<pid>\n"`), or nil while it has
    /// written none.
    private static func writtenPID(_ fd: Int32) -> Int32? {
        var text = [UInt8](repeating: 0, count: 32)
        let n = pread(fd, &text, text.count, 0)
        let written = String(decoding: text.prefix(max(0, n)), as: UTF8.self)
        return Int32(written.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// A record lock of `type` (`F_WRLCK`, `F_UNLCK`) over the whole file, as `F_OFD_SETLK` takes
    /// or drops it and `F_OFD_GETLK` asks for it.
    private static func wholeFile(_ type: Int32) -> Glibc.flock {
        var lock = Glibc.flock()
        lock.l_type = Int16(type)
        lock.l_whence = Int16(SEEK_SET)
        return lock  // l_start 0, l_len 0: to the end of the file, however long
    }

    /// fcntl(2)'s `F_OFD_GETLK` and `F_OFD_SETLK`: Linux ABI values that Glibc defines only
    /// under `_GNU_SOURCE`, which Swift's import does not set.
    private static let getOFDLock: Int32 = 36
    private static let setOFDLock: Int32 = 37

    /// Releases the lock now (idempotent); another writer may open the log as soon as this returns.
    public func release() {
        let wasReleased = released.withLock { done in
            defer { done = true }
            return done
        }
        guard !wasReleased else { return }
        // In the reverse order of `acquire`: a writer that gets the flock next must find the
        // record lock free, or it would fail on a lock this one is still dropping.
        var unlock = Self.wholeFile(F_UNLCK)
        _ = fcntl(descriptor, Self.setOFDLock, &unlock)
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    deinit { release() }
}
