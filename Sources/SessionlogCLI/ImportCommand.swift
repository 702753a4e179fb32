import ArgumentParser
import Ingress
import Foundation
import LogFormat
import LogStore
import Payloads

extension FsyncPolicy: ExpressibleByArgument {}

/// `sessionlog import FILE…`: offline bulk append of NDJSON payloads, one per line.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Append NDJSON payloads (one per line, carrying its v) to the log.",
        discussion: """
            Accepted lines go to the log, in order; any other line goes, with its reason, to the \
            quarantine log (<data>/rejected). Blank lines are skipped. If an append fails (a full \
            disk), the import stops, the log keeps the accepted lines before the first one that \
            failed and none after it, and the error names that line and how to import the rest. \
            Takes the log's writer lock: refuses while an ingress or another import is writing. \
            FILE - reads standard input and appends lines as they arrive. Lines are validated \
            exactly as the ingress validates payloads (SPEC §1), each by the schema its own "v" \
            names. A line's "idempotency_key" works as on a /batch line: a keyed line already in \
            the log is not appended again (counted as a duplicate), so an import can be run again \
            after an interruption. SIGINT or SIGTERM: stop reading, make what was read durable, \
            print the summary ("interrupted": true), exit 1.
            """
    )

    @OptionGroup var data: DataOptions

    @Argument(help: "NDJSON files to import; - for standard input.")
    var files: [String]

    @Option(help: "Largest payload in bytes; a longer line is quarantined as too_large.")
    var maxBody: Int = 1 << 20

    @Option(help: "Roll segments at this size in bytes.")
    var segmentBytes: Int = 256 << 20

    @Option(help: "fdatasync policy: always (durable before acknowledged) or never.")
    var fsync: FsyncPolicy = .always

    @Flag(help: "Print a JSON line per input line once it is durable (offset, or quarantine offset and code).")
    var printOffsets = false

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one file (or - for standard input)") }
        guard maxBody > 0, maxBody <= LogWriterOptions.recordBytesMax - 4096 else {
            throw ValidationError("--max-body must be between 1 and \(LogWriterOptions.recordBytesMax - 4096)")
        }
        guard segmentBytes >= 4096 else { throw ValidationError("--segment-bytes must be at least 4096") }
    }

    func run() async throws {
        try LineReader.checkReadable(files)  // all or nothing: no log is created or appended to for a typo
        try data.requireOwnedByCaller("import")
        var options = LogWriterOptions()
        options.segmentBytesMax = segmentBytes
        options.fsync = fsync
        let logs: DataLogs
        do {
            logs = try DataLogs.open(logPath: data.logPath, rejectedPath: data.rejectedPath, options: options)
        } catch let error as StorageError where error.code == .locked {
            throw CommandError("\(error.message). To append while an ingress runs, send the lines through it: sessionlog send FILE…")
        }
        let (log, quarantine) = (AppendChain(logs.main), AppendChain(logs.quarantine))
        for report in logs.notableRecoveries { printError("import: \(report)") }
        let keys = ImportKeys(logPath: data.logPath, limits: PayloadLimits(bodyBytesMax: maxBody), clock: options.clock)
        var totals = Counts()
        var output = BufferedOutput()
        let stop = StopFlag()
        let trap = SignalTrap { stop.set() }
        defer { trap.cancel() }
        var interrupted = false  // a stop request left input unread (one after the last line is no interruption)
        do {
            for file in files {
                guard !stop.isSet else {
                    interrupted = true
                    break
                }
                let (counts, complete) = try await importFile(file, log: log, quarantine: quarantine, keys: keys, stop: stop, output: &output)
                totals.add(counts)
                guard complete else {
                    interrupted = true
                    break
                }
            }
        } catch {
            output.flush()
            await logs.close()
            throw error
        }
        let summary = JSONText.object([
            ("accepted", String(totals.accepted)), ("quarantined", String(totals.quarantined)),
            ("duplicates", String(totals.duplicates)), ("blank_lines", String(totals.blank)), ("next_offset", logs.main.committedEnd.next.description),
            ("interrupted", String(interrupted)),
        ])
        await logs.close()
        if printOffsets {
            output.flush()
            printError(summary)
        } else {
            output.write(summary + "\n")
            output.flush()
        }
        if interrupted {
            printError("import: interrupted; the lines counted above are durable, and no later line was imported")
            throw ExitCode.failure
        }
    }

    /// Chunks (of about `LineReader.chunkBytes`) enqueued but not yet answered: enough that the
    /// writer finds the next group queued whenever a sync ends, with bounded memory (one more
    /// chunk is being compressed, `importLines`).
    static let chunksInFlightMax = 8

    /// Raw bytes per append request. The writer still commits many requests per write and fsync,
    /// and its batches span requests; but it rolls segments only between requests, so small
    /// requests keep segments close to --segment-bytes.
    static let requestBytesMax = 64 << 10

    /// `records` in order, cut into append requests of at most `requestBytesMax` (at least one
    /// record each).
    private static func requests(_ records: [AppendRecord]) -> [[AppendRecord]] {
        var requests = [[AppendRecord]]()
        var bytes = 0
        for record in records {
            if requests.isEmpty || bytes + record.encodedSize > requestBytesMax {
                requests.append([])
                bytes = 0
            }
            requests[requests.count - 1].append(record)
            bytes += record.encodedSize
        }
        return requests
    }

    /// Lines per outcome, for the summary.
    struct Counts {
        var accepted = 0
        var quarantined = 0
        var duplicates = 0
        var blank = 0

        mutating func add(_ other: Counts) {
            (accepted, quarantined, duplicates, blank) =
                (accepted + other.accepted, quarantined + other.quarantined, duplicates + other.duplicates, blank + other.blank)
        }
    }

    /// Where a non-blank line went.
    private enum LineOutcome {
        /// `accepted[index]` of its chunk.
        case appended(index: Int)
        /// `rejected[index]` of its chunk, with the rejection's code.
        case quarantined(index: Int, code: String)
        /// Not appended: its key, route and bytes are in the log already (or earlier in this import).
        case duplicate(key: String)
    }

    /// One chunk's appends and, per non-blank line, where its record went.
    private struct PendingChunk {
        var outcomes = [(line: Int, outcome: LineOutcome)]()
        var accepted: [AppendTicket] = []
        var rejected: [AppendTicket] = []
        /// The keys of accepted records (by their index), settled once the records are durable.
        var keyed = [(key: String, index: Int, checkpoint: Int64?)]()
    }

    /// A chunk's append requests, checked and compressed (`LogWriter.prepare`).
    private struct PreparedChunk: Sendable {
        var accepted: [PreparedAppend]
        var rejected: [PreparedAppend]
    }

    /// Waits until the chunk is durable, settles its keys, then prints its acknowledgements when
    /// asked to. When an append failed, throws a `CommandError` naming the first line that is
    /// not durable: every line before it is; when the log refused it, nothing after it is in the
    /// log either (`AppendChain`).
    private func finish(_ chunk: PendingChunk, file: String, keys: ImportKeys, output: inout BufferedOutput) async throws {
        let (offsets, logError) = await Self.durableOffsets(chunk.accepted)
        let (rejectedOffsets, quarantineError) = await Self.durableOffsets(chunk.rejected)
        // The first line whose record is not durable (the one right after its log's durable
        // records), with that log's error.
        let lost = chunk.outcomes.lazy.compactMap { (line, outcome) -> (line: Int, error: StorageError, inQuarantine: Bool)? in
            switch outcome {
            case .appended(let index): logError.flatMap { index == offsets.count ? (line, $0, false) : nil }
            case .quarantined(let index, _): quarantineError.flatMap { index == rejectedOffsets.count ? (line, $0, true) : nil }
            case .duplicate: nil
            }
        }.first
        if let lost { throw Self.stopped(at: lost.line, of: file, lost.error, inQuarantine: lost.inQuarantine) }
        for keyed in chunk.keyed { keys.appended(key: keyed.key, offset: offsets[keyed.index], checkpoint: keyed.checkpoint) }
        guard printOffsets else { return }
        for (line, outcome) in chunk.outcomes {
            var members = [("file", JSONText.string(file)), ("line", String(line))]
            switch outcome {
            case .appended(let index):
                members.append(("offset", offsets[index].description))
            case .quarantined(let index, let code):
                members += [("quarantined", rejectedOffsets[index].description), ("code", JSONText.string(code))]
            case .duplicate(let key):
                let original = keys.originalOffset(key: key)
                members += [("offset", original.map(\.description) ?? "null"), ("duplicate", "true")]
            }
            output.write(JSONText.object(members) + "\n")
        }
        output.flush()
    }

    /// The offsets of `requests` up to the first that failed, and its error.
    private static func durableOffsets(_ requests: [AppendTicket]) async -> (offsets: [LogOffset], error: StorageError?) {
        var offsets = [LogOffset]()
        for ticket in requests {
            switch await ticket.outcome() {
            case .success(let appended): offsets += appended
            case .failure(let error): return (offsets, error)
            }
        }
        return (offsets, nil)
    }

    /// The error of an import stopped by a failed append, at `line` of `file`: what is durable and
    /// how to import the rest. A failed quarantine append leaves the log's chain intact, so accepted
    /// lines after `line` may be in the log.
    private static func stopped(at line: Int, of file: String, _ error: StorageError, inQuarantine: Bool) -> CommandError {
        let input = file == "-" ? "standard input" : file
        let durable = "Every line before line \(line) of \(input) is durable (appended, quarantined or a duplicate)"
        guard !inQuarantine else {
            return CommandError(
                "\(error.message) (the quarantine log, on line \(line)). \(durable), but the log may also hold accepted lines after "
                    + "it: once the cause is fixed, import only the lines `sessionlog replay --raw` does not show")
        }
        let rest = file == "-" ? "send standard input again from that line" : "tail -n +\(line) \(file) | sessionlog import -"
        return CommandError(
            "\(error.message). \(durable); from that line on nothing was appended to the log, though the quarantine log may "
                + "hold rejections of later lines. Once the cause is fixed, import the rest: \(rest)")
    }

    private func importFile(
        _ file: String, log: AppendChain, quarantine: AppendChain, keys: ImportKeys, stop: StopFlag, output: inout BufferedOutput
    ) async throws -> (counts: Counts, complete: Bool) {
        try await LineReader.withInput(file) { reader, name in
            try await importLines(&reader, name: name, log: log, quarantine: quarantine, keys: keys, stop: stop, output: &output)
        }
    }

    /// Imports the reader's lines until its end (`complete`) or a stop request (checked between
    /// chunks and, on an idle pipe, every 100 ms); what was read is durable when this returns.
    private func importLines(
        _ reader: inout LineReader, name: String, log: AppendChain, quarantine: AppendChain, keys: ImportKeys, stop: StopFlag,
        output: inout BufferedOutput
    ) async throws -> (counts: Counts, complete: Bool) {
        let uid = getuid()
        var counts = Counts()
        var inFlight = [PendingChunk]()
        // The last chunk read, compressed on another core while the next one is validated; it is
        // enqueued before that next one, so the log keeps the input's order.
        var preparing: (chunk: PendingChunk, appends: Task<PreparedChunk, Never>)?
        func enqueuePrepared() async {
            guard let waiting = preparing else { return }
            var chunk = waiting.chunk
            let prepared = await waiting.appends.value
            chunk.accepted = prepared.accepted.map(log.enqueue)
            chunk.rejected = prepared.rejected.map(quarantine.enqueue)
            inFlight.append(chunk)
            preparing = nil
        }
        while !reader.atEnd && !stop.isSet {
            // Answer what is in flight before waiting on a pipe, so acknowledgements are prompt.
            if !reader.hasInputReady {
                await enqueuePrepared()
                for chunk in inFlight { try await finish(chunk, file: name, keys: keys, output: &output) }
                inFlight.removeAll()
                while !stop.isSet && !reader.waitForInput(milliseconds: 100) {}
                if stop.isSet { break }
            }
            var chunk = PendingChunk()
            var accepted = [AppendRecord]()
            var rejected = [AppendRecord]()
            func reject(_ line: LineReader.Line, _ error: PayloadError, key: String? = nil) {
                chunk.outcomes.append((line.number, .quarantined(index: rejected.count, code: error.code.rawValue)))
                rejected.append(
                    QuarantineRecord.make(
                        payload: line.bytes, rejection: error, source: "import:\(name):\(line.number)", producerUID: uid, idempotencyKey: key))
            }
            for line in try reader.nextLines() {
                if line.isBlank {
                    counts.blank += 1
                    continue
                }
                let payload = Array(line.bytes)
                switch LineValidation.verdict(payload[...], limits: PayloadLimits(bodyBytesMax: maxBody)) {
                case .success(let checked):
                    let version = checked.verdict.version.rawValue
                    // A line without a key is appended as one whose key is claimed.
                    switch try checked.idempotencyKey.map({ try keys.decide(key: $0, version: version, payload: payload) }) ?? .claimed {
                    case .claimed:
                        if let key = checked.idempotencyKey {
                            chunk.keyed.append((key, accepted.count, checked.verdict.acknowledgedCheckpoint))
                        }
                        chunk.outcomes.append((line.number, .appended(index: accepted.count)))
                        accepted.append(AppendRecord(version: version, producerUID: uid, idempotencyKey: checked.idempotencyKey, payload: payload))
                    case .repeatsAccepted, .repeatsInFlight:
                        counts.duplicates += 1
                        chunk.outcomes.append((line.number, .duplicate(key: checked.idempotencyKey!)))
                    case .conflict:
                        reject(line, .idempotencyConflict(key: checked.idempotencyKey!), key: checked.idempotencyKey)
                    }
                case .failure(let error):
                    reject(line, error)
                }
            }
            counts.accepted += accepted.count
            counts.quarantined += rejected.count
            await enqueuePrepared()
            let appends = Task.detached { [accepted, rejected, log = log.writer, quarantine = quarantine.writer] in
                PreparedChunk(
                    accepted: Self.requests(accepted).map(log.prepare),
                    rejected: Self.requests(rejected).map(quarantine.prepare))
            }
            preparing = (chunk, appends)
            if inFlight.count > Self.chunksInFlightMax {
                try await finish(inFlight.removeFirst(), file: name, keys: keys, output: &output)
            }
        }
        await enqueuePrepared()
        for chunk in inFlight { try await finish(chunk, file: name, keys: keys, output: &output) }
        return (counts, reader.atEnd)
    }
}

/// The idempotency keys `import` honours, as the ingress does for `/batch` lines (SPEC §2): those
/// of the log's window, rebuilt as the ingress rebuilds it, and those this import appends. A
/// line whose key was accepted with the same `v` and bytes is not appended again (an import run
/// twice, or after an interruption, appends each keyed line once); with other bytes it is a
/// conflict. The window is rebuilt at the first keyed line, so an input without keys never pays
/// for reading the log. `import` holds the writer lock: no one else adds keys meanwhile.
final class ImportKeys {
    private let logPath: String
    private let limits: PayloadLimits
    /// The log writer's clock (ms since the epoch): when the window counts a key's 24 hours from.
    private let clock: @Sendable () -> Int64
    private var window: IdempotencyWindow?

    init(logPath: String, limits: PayloadLimits, clock: @escaping @Sendable () -> Int64) {
        (self.logPath, self.limits, self.clock) = (logPath, limits, clock)
    }

    /// What to do with a valid line carrying `key`: append it (`.claimed`, which takes the key),
    /// skip it as a repeat, or quarantine it as a conflict.
    func decide(key: String, version: UInt8, payload: [UInt8]) throws -> IdempotencyWindow.Decision {
        let window = try self.window ?? IdempotencyWindow.rebuild(from: logPath, nowMs: clock(), limits: limits)
        self.window = window
        return window.decide(key: key, version: version, payload: payload)
    }

    /// The record appended under `key` is durable at `offset`.
    func appended(key: String, offset: LogOffset, checkpoint: Int64?) {
        window?.complete(key: key, offset: offset, checkpoint: checkpoint, receivedAtMs: clock())
    }

    /// Where the line a duplicate repeats was appended (known once that line is durable).
    func originalOffset(key: String) -> LogOffset? { window?.acceptedOffset(key: key) }
}
