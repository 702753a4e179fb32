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

/// Prints a line to stderr.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
