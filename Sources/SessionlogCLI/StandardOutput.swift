import Foundation

/// A buffered writer to a file descriptor (stdout by default): commands that print millions of
/// lines write in large chunks. Not thread-safe.
struct BufferedOutput {
    private var buffer: [UInt8] = []
    private let descriptor: Int32
    private let flushBytes: Int

    init(descriptor: Int32 = STDOUT_FILENO, flushBytes: Int = 1 << 20) {
        self.descriptor = descriptor
        self.flushBytes = flushBytes
        buffer.reserveCapacity(flushBytes + 4096)
    }

    mutating func write(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= flushBytes { flush() }
    }

    mutating func write(_ text: String) { write(text.utf8) }

    mutating func flush() {
        var done = 0
        while done < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            // A closed pipe (e.g. `| head`) ends the output quietly, like other Unix tools.
            if n <= 0 { exit(n < 0 && errno == EPIPE ? 0 : 1) }
            done += n
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Writes `text` to stderr as it is. A failed write is dropped: a message never stops a command
/// (stderr may be a pipe whose reader, a supervisor, is gone; `FileHandle`'s `write` would trap).
func writeError(_ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let n = bytes.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress!, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return }
        bytes = bytes.dropFirst(n)
    }
}

/// Prints a line to stderr (see `writeError`).
func printError(_ text: String) { writeError(text + "\n") }
