import ArgumentParser
import Foundation
import Payloads
import Ingress
import Synchronization

/// `sessionlog send FILE…`: a producer that posts NDJSON payloads to a running ingress.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Post NDJSON payloads (one per line, with its v) to the ingress over its Unix socket.",
        discussion: """
            Lines are sent in POST /batch requests over --connections keep-alive connections. Prints
            a JSON summary: lines, accepted, rejected (by code), unavailable, seconds. A progress
            line is shown on a terminal. Exit 1 if any line got no answer or a 503.
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
        let socketPath = socket ?? data.directory + "/ingress.sock"
        var lines = [[UInt8]]()
        for file in files {
            lines += try await LineReader.withInput(file) { reader, _ in
                var lines = [[UInt8]]()
                while !reader.atEnd { lines += try reader.nextLines().map { Array($0.bytes) }.filter { !$0.isEmpty } }
                return lines
            }
        }
        let total = lines.count
        let chunks = stride(from: 0, to: lines.count, by: batchLines).map { Array(lines[$0..<min(lines.count, $0 + batchLines)]) }
        let tally = SendTally()
        let next = Atomic<Int>(0)
        let start = Date()
        let progress = isatty(STDERR_FILENO) == 1 ? Thread { tally.showProgress(total: total, since: start) } : nil
        progress?.start()
        let workers = (0..<min(connections, max(1, chunks.count))).map { _ in
            Thread {
                guard let client = try? UnixHTTPClient(socketPath: socketPath) else {
                    tally.failed(0, reason: "cannot connect to \(socketPath): is the ingress running?")
                    return
                }
                while true {
                    let index = next.add(1, ordering: .relaxed).oldValue
                    guard index < chunks.count else { return }
                    let body = chunks[index].map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n") + "\n"
                    guard let answer = try? client.call("POST", "/batch", body: body), answer.status == 200 else {
                        tally.failed(chunks[index].count, reason: "a /batch request got no answer")
                        return
                    }
                    tally.record(answer.body)
                }
            }
        }
        workers.forEach { $0.start() }
        while !workers.allSatisfy(\.isFinished) { try await Task.sleep(for: .milliseconds(10)) }
        tally.stop()
        let summary = tally.summary(lines: total, seconds: Date().timeIntervalSince(start))
        var output = BufferedOutput()
        output.write(summary.text + "\n")
        output.flush()
        if !summary.complete { throw ExitCode(1) }
    }
}

/// Counts `/batch` result lines from several threads. Thread-safe (`Mutex`).
final class SendTally: Sendable {
    private struct Counts {
        var accepted = 0
        var unavailable = 0
        var unanswered = 0
        var rejected: [String: Int] = [:]
        var failure: String?
        var stopped = false
    }

    private let counts = Mutex(Counts())

    func record(_ ndjson: String) {
        var accepted = 0
        var unavailable = 0
        var rejected = [String: Int]()
        for line in ndjson.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            switch object["status"] as? Int {
            case 200: accepted += 1
            case 503: unavailable += 1
            default: rejected[((object["error"] as? [String: Any])?["code"] as? String) ?? "unknown", default: 0] += 1
            }
        }
        counts.withLock { counts in
            counts.accepted += accepted
            counts.unavailable += unavailable
            counts.rejected.merge(rejected, uniquingKeysWith: +)
        }
    }

    func failed(_ lines: Int, reason: String) {
        counts.withLock {
            $0.unanswered += lines
            $0.failure = $0.failure ?? reason
        }
    }

    func stop() { counts.withLock { $0.stopped = true } }

    func showProgress(total: Int, since start: Date) {
        while true {
            let (done, stopped) = counts.withLock { ($0.accepted + $0.unavailable + $0.rejected.values.reduce(0, +), $0.stopped) }
            let rate = Double(done) / max(0.001, Date().timeIntervalSince(start))
            writeError(String(format: "\rsent %d/%d lines, %.0f lines/s ", done, total, rate))
            if stopped {
                writeError("\n")
                return
            }
            Thread.sleep(forTimeInterval: 0.25)
        }
    }

    func summary(lines: Int, seconds: Double) -> (text: String, complete: Bool) {
        counts.withLock { counts in
            let answered = counts.accepted + counts.unavailable + counts.rejected.values.reduce(0, +)
            counts.unanswered = lines - answered
            let rejected = counts.rejected.sorted { $0.key < $1.key }.map { (JSONText.string($0.key), String($0.value)) }
            var members: [(String, String)] = [
                ("lines", String(lines)), ("accepted", String(counts.accepted)),
                ("rejected", String(counts.rejected.values.reduce(0, +))),
                ("rejected_by_code", "{" + rejected.map { $0.0 + ":" + $0.1 }.joined(separator: ",") + "}"),
                ("unavailable", String(counts.unavailable)), ("unanswered", String(counts.unanswered)),
                ("seconds", String(format: "%.3f", seconds)),
            ]
            if let failure = counts.failure { members.append(("error", JSONText.string(failure))) }
            return (JSONText.object(members), counts.unanswered == 0 && counts.unavailable == 0)
        }
    }
}
