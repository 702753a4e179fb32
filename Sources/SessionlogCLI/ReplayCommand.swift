import ArgumentParser
import Foundation
import LogFormat
import LogStore
import Payloads

/// `sessionlog replay`: the log's records as NDJSON envelopes, or raw payload lines.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Print records as NDJSON envelopes (payload embedded verbatim) or raw payload lines.",
        discussion: """
            Envelope: {"offset","received_at","v","uid","idempotency_key","payload"}. Raw newline \
            bytes of a payload (insignificant JSON whitespace) print as spaces so each envelope \
            stays one line; --raw prints the exact bytes. Quarantine records (--rejected) carry \
            "reason" and the payload as "payload_text" (valid UTF-8) or "payload_base64". \
            Ranges: --from-offset and --to-offset are inclusive; --since is inclusive and --until \
            exclusive (ms since the epoch, RFC 3339, a date: its midnight UTC, or a duration ago: 15m).
            """
    )

    @OptionGroup var data: DataOptions

    @Option(help: "First offset to print.")
    var fromOffset: UInt64?

    @Option(help: "Last offset to print (inclusive).")
    var toOffset: UInt64?

    @Option(help: "Only records received at or after this time (\(TimeArgument.formats)).")
    var since: TimeArgument?

    @Option(help: "Only records received before this time (the same formats).")
    var until: TimeArgument?

    @Flag(help: "Read the quarantine log instead of the main log.")
    var rejected = false

    @Flag(help: "Print each payload's exact bytes followed by a newline.")
    var raw = false

    @Flag(help: "Keep following the log's tail (until interrupted, --to-offset or --until).")
    var follow = false

    func validate() throws {
        if let fromOffset, let toOffset, toOffset < fromOffset {
            throw ValidationError("--to-offset \(toOffset) is before --from-offset \(fromOffset): the range is empty")
        }
        if let since, let until, until.milliseconds <= since.milliseconds {
            throw ValidationError("--until is not after --since: the range is empty (--until is exclusive)")
        }
    }

    func run() async throws {
        let path = data.path(rejected: rejected)
        guard LogDirectory(path: path).exists else {
            throw CommandError("no log at \(path); run `sessionlog import` or the ingress first, or pass --data")
        }
        let reader = LogReader(directory: path)
        var start = LogOffset(fromOffset ?? 0)
        if let since { start = max(start, try reader.offset(beforeTimeMs: since.milliseconds)) }
        var output = BufferedOutput()
        defer { output.flush() }  // also when reading fails: every record before the damage is printed
        var line = [UInt8]()
        line.reserveCapacity(1 << 16)

        /// Returns false once past the requested range.
        func emit(_ record: LogRecord) -> Bool {
            if let toOffset, record.offset.rawValue > toOffset { return false }
            if let until, record.receivedAtMs >= until.milliseconds { return false }
            if let since, record.receivedAtMs < since.milliseconds { return true }
            line.removeAll(keepingCapacity: true)
            if raw {
                line.append(contentsOf: record.payload)
            } else {
                RecordEnvelope.append(record, quarantine: rejected, to: &line)
            }
            line.append(UInt8(ascii: "\n"))
            output.write(line)
            return true
        }

        if follow {
            for try await record in LogTail(directory: path, from: start) {
                guard emit(record) else { break }
                output.flush()
            }
        } else {
            var cursor = reader.cursor(from: start)
            batches: while let records = try cursor.nextBatch() {
                for record in records where !emit(record) { break batches }
            }
        }
    }
}

/// The NDJSON envelope of one record (see `ReplayCommand`'s discussion and docs/operations.md).
enum RecordEnvelope {
    static func append(_ record: LogRecord, quarantine: Bool, to out: inout [UInt8]) {
        out += Array("{\"offset\":\(record.offset),\"received_at\":\(record.receivedAtMs),\"v\":\(record.version),\"uid\":\(record.producerUID),\"idempotency_key\":".utf8)
        if let key = record.idempotencyKey { JSONText.appendString(key, to: &out) } else { out += Array("null".utf8) }
        if quarantine {
            out += Array(",\"reason\":".utf8)
            out += Array((record.rejectReason ?? "null").utf8)
            if let text = String(validating: record.payload, as: UTF8.self) {
                out += Array(",\"payload_text\":".utf8)
                JSONText.appendString(text, to: &out)
            } else {
                out += Array(",\"payload_base64\":\"\(Data(record.payload).base64EncodedString())\"".utf8)
            }
        } else {
            out += Array(",\"payload\":".utf8)
            let start = out.count
            out.append(contentsOf: record.payload)
            for i in start..<out.count where out[i] == UInt8(ascii: "\n") || out[i] == UInt8(ascii: "\r") {
                out[i] = UInt8(ascii: " ")
            }
        }
        out.append(UInt8(ascii: "}"))
    }
}
