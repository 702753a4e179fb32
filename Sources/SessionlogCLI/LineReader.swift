import Foundation

/// Splits a file descriptor's bytes into lines (without their `\n`), chunk by chunk, as soon as
/// they arrive: a pipe's lines are handed over without waiting for end of file.
/// Not thread-safe.
struct LineReader {
    struct Line {
        var number: Int
        var bytes: ArraySlice<UInt8>

        /// Empty or only spaces, tabs and CRs: not a payload.
        var isBlank: Bool { bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D } }
    }

    private let descriptor: Int32
    private let path: String
    private var pending: [UInt8] = []
    private var lineNumber = 0
    private(set) var atEnd = false
    static let chunkBytes = 1 << 20

    /// Whether a read would return at once (always true for regular files).
    var hasInputReady: Bool { waitForInput(milliseconds: 0) }

    /// Waits at most `milliseconds` for input (or its end); true when a read would return at once.
    func waitForInput(milliseconds: Int32) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, milliseconds) > 0
    }

    init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// Reads once (blocking until some bytes or end of file) and returns the complete lines now
    /// available; at end of file, a last line without `\n` is returned too. The lines share one
    /// buffer: the unfinished line the previous read left, then the bytes read. A read is at
    /// least as long as that unfinished line, so copying a long line's start from read to read
    /// costs at most about twice its length.
    mutating func nextLines() throws -> [Line] {
        let unfinished = pending
        let readBytes = max(Self.chunkBytes, unfinished.count)
        var count = 0
        var readError: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: unfinished.count + readBytes) { buffer, initialized in
            let free = UnsafeMutableBufferPointer(rebasing: buffer[buffer.initialize(fromContentsOf: unfinished)...])
            repeat {
                count = read(descriptor, free.baseAddress, free.count)
                readError = count < 0 ? errno : 0
            } while readError == EINTR
            initialized = unfinished.count + max(count, 0)
        }
        guard readError == 0 else { throw CommandError("cannot read \(path): \(String(cString: strerror(readError)))") }
        if count == 0 { atEnd = true }
        var lines = [Line]()
        var start = 0
        bytes.withUnsafeBufferPointer { all in
            let base = all.baseAddress!
            let newlineByte = Int32(UInt8(ascii: "\n"))
            while true {
                // From the next line's start, or past the unfinished line (it holds no newline).
                let from = max(start, unfinished.count)
                guard from < all.count, let newline = memchr(base + from, newlineByte, all.count - from) else { break }
                let end = UnsafeRawPointer(base).distance(to: newline)
                lineNumber += 1
                lines.append(Line(number: lineNumber, bytes: bytes[start..<end]))
                start = end + 1
            }
        }
        if atEnd && start < bytes.count {
            lineNumber += 1
            lines.append(Line(number: lineNumber, bytes: bytes[start...]))
            start = bytes.count
        }
        pending = Array(bytes[start...])
        return lines
    }
}

extension LineReader {
    /// Throws `withInput`'s error for the first of `files` that cannot be opened for reading, so
    /// a command that writes can refuse before it has written anything.
    static func checkReadable(_ files: [String]) throws {
        for file in files where file != "-" {
            let descriptor = open(file, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw cannotOpen(file) }
            close(descriptor)
        }
    }

    /// Opens `file` (`-` is standard input) and calls `body` with a reader over it, closing the
    /// file afterwards; errors name the file.
    static func withInput<R>(_ file: String, _ body: (inout LineReader, _ name: String) async throws -> R) async throws -> R {
        let descriptor = file == "-" ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw cannotOpen(file) }
        defer { if descriptor != STDIN_FILENO { close(descriptor) } }
        let name = file == "-" ? "stdin" : file
        var reader = LineReader(descriptor: descriptor, path: name)
        return try await body(&reader, name)
    }

    /// The error for `file` after `open` failed (reads `errno`).
    private static func cannotOpen(_ file: String) -> CommandError {
        CommandError("cannot open \(file): \(String(cString: strerror(errno)))")
    }
}
