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
            quarantine log (<data>/rejected). Blank lines are skipped. Takes the log's writer lock: \
            refuses while an ingress or another import is writing. FILE - reads standard input and \
            appends lines as they arrive. Lines are validated exactly as the ingress validates \
            payloads (SPEC §1), each by the schema its own "v" names. SIGINT or SIGTERM: stop \
            reading, make what was read durable, print the summary ("interrupted": true), exit 1.
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
        let (log, quarantine) = (logs.main, logs.quarantine)
        for report in logs.notableRecoveries { printError("import: \(report)") }
        var totals = (accepted: 0, quarantined: 0, blank: 0)
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
                let (counts, complete) = try await importFile(file, log: log, quarantine: quarantine, stop: stop, output: &output)
                totals = (totals.accepted + counts.accepted, totals.quarantined + counts.quarantined, totals.blank + counts.blank)
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
            ("blank_lines", String(totals.blank)), ("next_offset", log.committedEnd.next.description),
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

    /// Chunks (of up to `LineReader.chunkBytes`) enqueued but not yet answered: enough to keep
    /// the writer busy (compressing one group while the previous one syncs) with bounded memory.
    static let chunksInFlightMax = 8

    /// Raw bytes per append request. The writer still commits many requests per write and fsync,
    /// and its batches span requests; but it rolls segments only between requests, so small
    /// requests keep segments close to --segment-bytes.
    static let requestBytesMax = 64 << 10

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

    /// One chunk's appends and, per non-blank line, where its record went.
    private struct PendingChunk {
        var verdicts = [(line: Int, index: Int, code: String?)]()
        var accepted: [AppendTicket] = []
        var rejected: [AppendTicket] = []
    }

    /// Waits until the chunk is durable, then prints its acknowledgements when asked to.
    private func finish(_ chunk: PendingChunk, file: String, output: inout BufferedOutput) async throws {
        var offsets = [LogOffset]()
        for ticket in chunk.accepted { offsets += try await ticket.offsets() }
        var rejectedOffsets = [LogOffset]()
        for ticket in chunk.rejected { rejectedOffsets += try await ticket.offsets() }
        guard printOffsets else { return }
        for verdict in chunk.verdicts {
            var members = [("file", JSONText.string(file)), ("line", String(verdict.line))]
            if let code = verdict.code {
                members += [("quarantined", rejectedOffsets[verdict.index].description), ("code", JSONText.string(code))]
            } else {
                members.append(("offset", offsets[verdict.index].description))
            }
            output.write(JSONText.object(members) + "\n")
        }
        output.flush()
    }

    private func importFile(
        _ file: String, log: LogWriter, quarantine: LogWriter, stop: StopFlag, output: inout BufferedOutput
    ) async throws -> (counts: (accepted: Int, quarantined: Int, blank: Int), complete: Bool) {
        try await LineReader.withInput(file) { reader, name in
            try await importLines(&reader, name: name, log: log, quarantine: quarantine, stop: stop, output: &output)
        }
    }

    /// Imports the reader's lines until its end (`complete`) or a stop request (checked between
    /// chunks and, on an idle pipe, every 100 ms); what was read is durable when this returns.
    private func importLines(
        _ reader: inout LineReader, name: String, log: LogWriter, quarantine: LogWriter, stop: StopFlag, output: inout BufferedOutput
    ) async throws -> (counts: (accepted: Int, quarantined: Int, blank: Int), complete: Bool) {
        let uid = getuid()
        var counts = (accepted: 0, quarantined: 0, blank: 0)
        var inFlight = [PendingChunk]()
        while !reader.atEnd && !stop.isSet {
            // Answer what is in flight before waiting on a pipe, so acknowledgements are prompt.
            if !reader.hasInputReady {
                for chunk in inFlight { try await finish(chunk, file: name, output: &output) }
                inFlight.removeAll()
                while !stop.isSet && !reader.waitForInput(milliseconds: 100) {}
                if stop.isSet { break }
            }
            var chunk = PendingChunk()
            var accepted = [AppendRecord]()
            var rejected = [AppendRecord]()
            for line in try reader.nextLines() {
                if line.isBlank {
                    counts.blank += 1
                    continue
                }
                switch LineValidation.verdict(line.bytes, limits: PayloadLimits(bodyBytesMax: maxBody)) {
                case .success(let version):
                    chunk.verdicts.append((line.number, accepted.count, nil))
                    accepted.append(AppendRecord(version: version.rawValue, producerUID: uid, payload: Array(line.bytes)))
                case .failure(let error):
                    chunk.verdicts.append((line.number, rejected.count, error.code.rawValue))
                    rejected.append(
                        QuarantineRecord.make(
                            payload: line.bytes, rejection: error, source: "import:\(name):\(line.number)",
                            producerUID: uid))
                }
            }
            counts.accepted += accepted.count
            counts.quarantined += rejected.count
            chunk.accepted = Self.requests(accepted).map(log.enqueue)
            chunk.rejected = Self.requests(rejected).map(quarantine.enqueue)
            inFlight.append(chunk)
            if inFlight.count > Self.chunksInFlightMax {
                try await finish(inFlight.removeFirst(), file: name, output: &output)
            }
        }
        for chunk in inFlight { try await finish(chunk, file: name, output: &output) }
        return (counts, reader.atEnd)
    }
}
