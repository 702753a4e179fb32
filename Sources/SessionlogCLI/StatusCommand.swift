import ArgumentParser
import Foundation
import LogFormat
import LogStore
import Payloads
import Projections

/// `sessionlog status`: the log's end, the quarantine's, and per projection its live build,
/// checkpoint and lag.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the log's end, the quarantine's, and each projection's build, checkpoint and lag (records and seconds)."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @OptionGroup var data: DataOptions

    @Option(help: "Output format: table or json.")
    var format: Format = .table

    func run() async throws {
        try data.requireExisting()
        let reader = LogReader(directory: data.logPath)
        let (end, endTime) = try Self.end(of: data.logPath)
        let (rejected, rejectedTime) = try Self.end(of: data.rejectedPath)
        var rows: [[(String, String)]] = []
        var problems: [String] = []
        for kind in ProjectionKind.allCases {
            var row: [(String, String)] = [("projection", JSONText.string(kind.rawValue))]
            let paths = ProjectionPaths(dataDirectory: data.directory, kind: kind)
            let build = try paths.current()
            row.append(("build", build.map { JSONText.string($0.description) } ?? "null"))
            var checkpoint: LogOffset?
            if let build, case let path = paths.database(build), FileManager.default.fileExists(atPath: path) {
                do {
                    checkpoint = try ProjectorError.namingDamage(kind, database: path) {
                        try ProjectionCheckpoint.read(SQLiteDatabase(path: path, readOnly: true)).nextOffset
                    }
                } catch let error as ProjectorError where error.code == .damagedDatabase {
                    problems.append(error.message)
                }
            }
            if let checkpoint {
                let applied = checkpoint > .zero ? try reader.record(at: LogOffset(checkpoint.rawValue - 1))?.receivedAtMs : nil
                let lagSeconds = endTime.map { Double($0 - (applied ?? $0)) / 1000 } ?? 0
                row += [
                    ("next_offset", String(checkpoint.rawValue)),
                    // Negative: the projection is ahead of the log, built from another one (its projector refuses).
                    ("lag_records", String(Int64(end.rawValue) - Int64(checkpoint.rawValue))),
                    ("lag_seconds", String(format: "%.3f", max(0, lagSeconds))),
                ]
            } else {
                row += [("next_offset", "null"), ("lag_records", "null"), ("lag_seconds", "null")]
            }
            rows.append(row)
        }
        var output = BufferedOutput()
        switch format {
        case .json:
            output.write(
                JSONText.object([
                    ("log", Self.endObject(end, endTime)), ("quarantine", Self.endObject(rejected, rejectedTime)),
                    ("projections", "[" + rows.map(JSONText.object).joined(separator: ",") + "]"),
                ]) + "\n")
        case .table:
            let time = endTime.map { TimeArgument.text(ms: $0) } ?? "-"
            output.write("log \(data.logPath): end offset \(end), last record received \(time)\n")
            let rejectedAt = rejectedTime.map { ", the last received \(TimeArgument.text(ms: $0)); `sessionlog replay --rejected` lists them" } ?? ""
            output.write("quarantine \(data.rejectedPath): \(rejected) payloads\(rejectedAt)\n")
            let header = rows.first!.map(\.0)
            output.write(TextTable.render(header: header, rows: rows.map { $0.map { Self.plain($0.1) } }))
        }
        output.flush()
        // A build that cannot be read is a failure monitoring must see, after the rest is shown.
        guard problems.isEmpty else {
            for problem in problems { printError("status: \(problem)") }
            throw ExitCode.failure
        }
    }

    /// A log's end offset and its last record's `received_at` (0 and nil when it is empty or absent).
    private static func end(of path: String) throws -> (LogOffset, Int64?) {
        guard LogDirectory(path: path).exists else { return (.zero, nil) }
        let reader = LogReader(directory: path)
        let end = try reader.endOffset()
        return (end, end > .zero ? try reader.record(at: LogOffset(end.rawValue - 1))?.receivedAtMs : nil)
    }

    /// `end(of:)` as the JSON format shows it.
    private static func endObject(_ end: LogOffset, _ lastReceivedAt: Int64?) -> String {
        JSONText.object([("end_offset", String(end.rawValue)), ("last_received_at", lastReceivedAt.map(String.init) ?? "null")])
    }

    private static func plain(_ json: String) -> String {
        json == "null" ? "-" : json.hasPrefix("\"") ? String(json.dropFirst().dropLast()) : json
    }
}
