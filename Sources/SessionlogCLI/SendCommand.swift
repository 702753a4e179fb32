import ArgumentParser
import Foundation
import Payloads
import Ingress
import LogStore
import Synchronization

/// `sessionlog send FILE…`: a producer that posts NDJSON payloads to a running ingress.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Post NDJSON payloads (one per line, with its v) to the ingress over its Unix socket.",
        discussion: """
            Lines are sent, byte for byte, in POST /batch requests over --connections keep-alive \
            connections, as they are read: a file is streamed, and lines from a pipe go out as they \
            arrive. A batch's lines keep their order in the log; batches on different connections \
            may interleave, so pass --connections 1 to append in the files' order. Prints a JSON \
            summary: lines, accepted, rejected (by code), unavailable, unanswered, seconds. A \
            progress line is shown on a terminal. Exit 1 if any line got no answer or a 503.
            """
    )

    @OptionGroup var data: DataOptions

    @Argument(help: "NDJSON files; - for standard input.")
    var files: [String]

    @Option(help: "Socket path (default: <data>/ingress.sock).")
    var socket: String?

    @Option(help: "Concurrent connections.")
    var connections: Int = 4

    @Option(help: "Lines per /batch request.")
    var batchLines: Int = 256

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one file (or - for standard input)") }
        guard (1...256).contains(connections) else { throw ValidationError("--connections must be 1…256") }
        guard (1...100_000).contains(batchLines) else { throw ValidationError("--batch-lines must be 1…100000") }
    }

    func run() async throws {
        let socketPath = data.socketPath(socket)
        try LineReader.checkReadable(files)
        let queue = ChunkQueue(capacity: 2 * connections)
        let tally = SendTally()
        let start = ContinuousClock.now
        let progress = isatty(STDERR_FILENO) == 1 ? Thread { tally.showProgress(since: start) } : nil
        progress?.start()
        let workers = (0..<connections).map { _ in Thread { Self.post(queue, to: socketPath, tally: tally) } }
        workers.forEach { $0.start() }
        var lines = 0
        do {
            for file in files {
                lines += try await LineReader.withInput(file) { reader, _ in try Self.readChunks(&reader, batchLines: batchLines, into: queue) }
            }
        } catch {
            queue.close()
            throw error
        }
        queue.close()
        while !workers.allSatisfy(\.isFinished) { try await Task.sleep(for: .milliseconds(10)) }
        tally.stop()
        let summary = tally.summary(lines: lines, seconds: start.secondsElapsed)
        var output = BufferedOutput()
        output.write(summary.text + "\n")
        output.flush()
        if !summary.complete { throw ExitCode(1) }
    }

    /// Cuts the input into `/batch` bodies of up to `batchLines` lines, each line's bytes as they
    /// are (empty lines skipped). A body goes out when full, and also whenever the input has no
    /// more bytes ready, so lines from a pipe are sent as they arrive. Returns the lines read.
    private static func readChunks(_ reader: inout LineReader, batchLines: Int, into queue: ChunkQueue) throws -> Int {
        var chunk = SendChunk()
        var lines = 0
        while !reader.atEnd {
            for line in try reader.nextLines() where !line.bytes.isEmpty {
                chunk.append(line.bytes)
                lines += 1
                if chunk.lines == batchLines { queue.put(chunk.take()) }
            }
            if chunk.lines > 0 && (reader.atEnd || !reader.hasInputReady) { queue.put(chunk.take()) }
        }
        return lines
    }

    /// One connection's worker: posts chunks until the queue is closed and empty. A chunk that
    /// gets no answer stays unanswered (the summary counts lines without a result), and the next
    /// chunk tries a new connection (so an ingress restarted meanwhile takes the rest).
    private static func post(_ queue: ChunkQueue, to socketPath: String, tally: SendTally) {
        var client: UnixHTTPClient?
        while let chunk = queue.take() {
            if client == nil { client = try? UnixHTTPClient(socketPath: socketPath) }
            guard let connected = client else {
                tally.failed(reason: "cannot connect to \(socketPath): is the ingress running?")
                continue
            }
            guard let answer = try? connected.call("POST", "/batch", body: chunk.body), answer.status == 200 else {
                tally.failed(reason: "a /batch request got no answer")
                client = nil
                continue
            }
            tally.record(answer.body)
        }
    }
}

/// A `/batch` body being built: NDJSON lines, each followed by a newline.
struct SendChunk: Sendable {
    private(set) var body: [UInt8] = []
    private(set) var lines = 0

    mutating func append(_ line: ArraySlice<UInt8>) {
        body += line
        body.append(UInt8(ascii: "\n"))
        lines += 1
    }

    /// Returns the chunk and starts an empty one.
    mutating func take() -> SendChunk {
        defer { self = SendChunk() }
        return self
    }
}

/// Chunks from the reader to the connections' workers: bounded, so a large file or an endless
/// pipe is read only as fast as the ingress answers. Thread-safe (`NSCondition`).
final class ChunkQueue: @unchecked Sendable {  // every field is guarded by `condition`
    private let condition = NSCondition()
    private var chunks: [SendChunk] = []
    private var closed = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Blocks while the queue is full.
    func put(_ chunk: SendChunk) {
        condition.lock()
        defer { condition.unlock() }
        while chunks.count >= capacity { condition.wait() }
        chunks.append(chunk)
        condition.broadcast()
    }

    /// The next chunk; blocks while the queue is empty and open; nil once closed and empty.
    func take() -> SendChunk? {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && !closed { condition.wait() }
        guard !chunks.isEmpty else { return nil }
        condition.broadcast()
        return chunks.removeFirst()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

/// Counts `/batch` result lines from several threads. Thread-safe (`Mutex`).
final class SendTally: Sendable {
    private struct Counts {
        var accepted = 0
        var unavailable = 0
        var rejected: [String: Int] = [:]
        var failure: String?
        var stopped = false

        /// Lines with a result line in an answer; the others of the input are unanswered.
        var answered: Int { accepted + unavailable + rejected.values.reduce(0, +) }
    }

    private let counts = Mutex(Counts())

    /// Counts the result lines of a `/batch` answer.
    func record(_ ndjson: String) {
        var ndjson = ndjson
        var accepted = 0
        var unavailable = 0
        var rejected = [String: Int]()
        ndjson.withUTF8 { body in
            for line in body.split(separator: UInt8(ascii: "\n")).map(UnsafeBufferPointer.init(rebasing:)) {
                switch Self.member(Self.statusKey, of: line).map({ $0.reduce(0) { $0 * 10 + Int($1) - 48 } }) {
                case 200: accepted += 1
                case 503: unavailable += 1
                default:
                    let code = Self.member(Self.codeKey, of: line).map { String(decoding: $0.dropFirst().dropLast(), as: UTF8.self) }
                    rejected[code ?? "unknown", default: 0] += 1
                }
            }
        }
        counts.withLock { counts in
            counts.accepted += accepted
            counts.unavailable += unavailable
            counts.rejected.merge(rejected, uniquingKeysWith: +)
        }
    }

    private static let statusKey = Array(#""status":"#.utf8)
    private static let codeKey = Array(#""code":"#.utf8)

    /// The value after `key` (`"name":`) in a result line, as the ingress writes it (compact JSON,
    /// each name once per line: `status` at the top, `code` in `error`), found without a JSON
    /// parser, which took three quarters of send's time. A name in quotes followed by `:` cannot
    /// occur inside a string value, whose quotes are escaped. A string value keeps its quotes.
    static func member(_ key: [UInt8], of line: UnsafeBufferPointer<UInt8>) -> Slice<UnsafeBufferPointer<UInt8>>? {
        guard var start = line.firstIndex(of: key[0]) else { return nil }
        while !line[start...].starts(with: key) {
            guard let next = line[(start + 1)...].firstIndex(of: key[0]) else { return nil }
            start = next
        }
        let value = line[(start + key.count)...]
        return value[..<(value.firstIndex { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "}") } ?? value.endIndex)]
    }

    /// A request got no answer; the first reason is reported in the summary.
    func failed(reason: String) {
        counts.withLock { $0.failure = $0.failure ?? reason }
    }

    func stop() { counts.withLock { $0.stopped = true } }

    func showProgress(since start: ContinuousClock.Instant) {
        while true {
            let (done, stopped) = counts.withLock { ($0.answered, $0.stopped) }
            let rate = start.ratePerSecond(done)
            writeError(String(format: "\rsent %d lines, %.0f lines/s ", done, rate))
            if stopped {
                writeError("\n")
                return
            }
            Thread.sleep(forTimeInterval: 0.25)
        }
    }

    func summary(lines: Int, seconds: Double) -> (text: String, complete: Bool) {
        counts.withLock { counts in
            let unanswered = lines - counts.answered
            let rejected = counts.rejected.sorted { $0.key < $1.key }.map { (JSONText.string($0.key), String($0.value)) }
            var members: [(String, String)] = [
                ("lines", String(lines)), ("accepted", String(counts.accepted)),
                ("rejected", String(counts.rejected.values.reduce(0, +))),
                ("rejected_by_code", "{" + rejected.map { $0.0 + ":" + $0.1 }.joined(separator: ",") + "}"),
                ("unavailable", String(counts.unavailable)), ("unanswered", String(unanswered)),
                ("seconds", String(format: "%.3f", seconds)),
            ]
            if let failure = counts.failure { members.append(("error", JSONText.string(failure))) }
            return (JSONText.object(members), unanswered == 0 && counts.unavailable == 0)
        }
    }
}
