import Foundation

/// One open file descriptor with the few syscalls the log needs; each failure becomes a
/// `StorageError` naming the syscall and path.
///
/// Not thread-safe: one owner at a time. Closes the descriptor on deinit.
public final class PosixFile: @unchecked Sendable {  // single owner by construction (the writer thread or one reader)
    let descriptor: Int32
    public let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { Glibc.close(descriptor) }

    /// `open(2)` read-only.
    public static func openForReading(_ path: String) throws -> PosixFile {
        try open(path, flags: O_RDONLY)
    }

    /// `open(2)` read-write, creating the file (mode 0644) when `create`.
    static func openForWriting(_ path: String, create: Bool = false, truncate: Bool = false) throws -> PosixFile {
        var flags = O_RDWR
        if create { flags |= O_CREAT }
        if truncate { flags |= O_TRUNC }
        return try open(path, flags: flags)
    }

    private static func open(_ path: String, flags: Int32) throws -> PosixFile {
        let fd = Glibc.open(path, flags | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError.syscall("open", errno: errno, path: path) }
        return PosixFile(descriptor: fd, path: path)
    }

    /// `fstat(2)` size.
    public func size() throws -> Int64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw StorageError.syscall("fstat", errno: errno, path: path) }
        return Int64(info.st_size)
    }

    /// `pread(2)` up to `count` bytes at `position` into `buffer[index...]`; returns the bytes read
    /// (fewer only at end of file).
    public func read(into buffer: inout [UInt8], at index: Int, count: Int, position: Int64) throws -> Int {
        precondition(index + count <= buffer.count, "read of \(count) bytes at \(index) overflows a \(buffer.count)-byte buffer")
        var done = 0
        while done < count {
            let n = buffer.withUnsafeMutableBytes { raw in
                pread(descriptor, raw.baseAddress! + index + done, count - done, off_t(position) + off_t(done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw StorageError.syscall("pread", errno: errno, path: path)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Reads the whole file.
    func readAll() throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: Int(try size()))
        let n = try read(into: &buffer, at: 0, count: buffer.count, position: 0)
        buffer.removeLast(buffer.count - n)
        return buffer
    }

    /// `pwrite(2)` all of `bytes` at `position`, retrying short writes.
    func write(_ bytes: UnsafeRawBufferPointer, at position: Int64) throws {
        var count = bytes.count
        var injected: Int32?
        switch FaultInjection.fault(for: .write, path: path) {
        case .fail(let errno)?: throw StorageError.syscall("pwrite", errno: errno, path: path)
        case .tornWrite(let errno)?: (count, injected) = (bytes.count / 2, errno)
        case nil: break
        }
        var done = 0
        while done < count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, count - done, off_t(position) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw StorageError.syscall("pwrite", errno: errno, path: path)
            }
            done += n
        }
        if let injected { throw StorageError.syscall("pwrite", errno: injected, path: path) }
    }

    func write(_ bytes: [UInt8], at position: Int64) throws {
        try bytes.withUnsafeBytes { try write($0, at: position) }
    }

    /// Writes zero bytes over `range` (a file's preallocated tail), in chunks of a shared buffer.
    func writeZeros(_ range: Range<Int64>) throws {
        var position = range.lowerBound
        while position < range.upperBound {
            let count = Int(min(Int64(Self.zeros.count), range.upperBound - position))
            try Self.zeros.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[..<count]), at: position) }
            position += Int64(count)
        }
    }

    private static let zeros = [UInt8](repeating: 0, count: 256 << 10)

    /// The position just past the last non-zero byte at or after `start`; `start` itself when
    /// every byte from there to the end of the file is zero (a preallocated tail), or there is none.
    func nonZeroEnd(from start: Int64) throws -> Int64 {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var position = start
        var end = start
        while true {
            let n = try read(into: &buffer, at: 0, count: buffer.count, position: position)
            guard n > 0 else { return end }
            if let last = buffer[..<n].lastIndex(where: { $0 != 0 }) { end = position + Int64(last) + 1 }
            position += Int64(n)
        }
    }

    /// `fdatasync(2)`.
    func sync() throws {
        if case .fail(let errno)? = FaultInjection.fault(for: .sync, path: path) {
            throw StorageError.syscall("fdatasync", errno: errno, path: path)
        }
        guard fdatasync(descriptor) == 0 else { throw StorageError.syscall("fdatasync", errno: errno, path: path) }
    }

    /// `ftruncate(2)`.
    func truncate(to size: Int64) throws {
        if case .fail(let errno)? = FaultInjection.fault(for: .truncate, path: path) {
            throw StorageError.syscall("ftruncate", errno: errno, path: path)
        }
        guard ftruncate(descriptor, off_t(size)) == 0 else {
            throw StorageError.syscall("ftruncate", errno: errno, path: path)
        }
    }

    /// Replaces the file at `path` in `directory` with `contents` so that readers see the old
    /// bytes or the new ones, never a mix, and the new ones survive a crash: write a temporary
    /// file, `fdatasync(2)`, `rename(2)` over the old one, `fsync(2)` the directory.
    public static func replaceAtomically(_ path: String, in directory: String, with contents: [UInt8]) throws {
        try replaceAtomically(path, in: directory) { write in try write(contents) }
    }

    /// `replaceAtomically`, the new contents written by `body` in pieces, in order, through the
    /// function it is given.
    public static func replaceAtomically(_ path: String, in directory: String, writing body: (_ write: ([UInt8]) throws -> Void) throws -> Void) throws {
        let temporary = path + ".tmp"
        do {
            let file = try openForWriting(temporary, create: true, truncate: true)
            var position: Int64 = 0
            try body { piece in
                try file.write(piece, at: position)
                position += Int64(piece.count)
            }
            try file.sync()
        }
        guard rename(temporary, path) == 0 else { throw StorageError.syscall("rename", errno: errno, path: path) }
        try syncDirectory(directory)
    }

    /// Creates the directory at `path` and any missing parents (`mkdir -p`). Errors name the
    /// directory that could not be made and why (`mkdir /proc/x: No such file or directory`).
    public static func createDirectories(_ path: String) throws(StorageError) {
        let absolute = path.hasPrefix("/")
        var made = ""
        for component in path.split(separator: "/") {
            made += (made.isEmpty && !absolute ? "" : "/") + component
            guard mkdir(made, 0o755) != 0 else { continue }
            let error = errno
            var status = stat()
            guard error == EEXIST, stat(made, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
                throw StorageError.syscall("mkdir", errno: error == EEXIST ? ENOTDIR : error, path: made)
            }
        }
    }

    /// The names in directory `path` (without `.` and `..`), in no particular order. Errors name
    /// the directory and why (`opendir /x: Permission denied`).
    public static func names(inDirectory path: String) throws(StorageError) -> [String] {
        guard let stream = opendir(path) else { throw StorageError.syscall("opendir", errno: errno, path: path) }
        defer { closedir(stream) }
        var names: [String] = []
        // Only the name's bytes, up to its NUL, are read: glibc packs entries by `d_reclen`, so
        // an entry may end before a whole `struct dirent` would, at the end of its buffer
        // (copying `pointee` read past it, and crashed when the buffer ended a mapped page).
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        while let entry = readdir(stream) {
            let name = String(cString: (UnsafeRawPointer(entry) + nameOffset).assumingMemoryBound(to: CChar.self))
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes the file at `path` if there is one (`unlink(2)`; a missing file is not an error).
    public static func removeIfPresent(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw StorageError.syscall("unlink", errno: errno, path: path) }
    }

    /// `removeIfPresent` for a file in `directory`, so that its absence survives a crash: then
    /// `fsync(2)` the directory.
    public static func removeDurably(_ path: String, in directory: String) throws {
        try removeIfPresent(path)
        try syncDirectory(directory)
    }

    /// `fsync(2)` on a directory, so a created or renamed entry survives a crash.
    public static func syncDirectory(_ path: String) throws {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError.syscall("open", errno: errno, path: path) }
        defer { Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw StorageError.syscall("fsync", errno: errno, path: path) }
    }
}
