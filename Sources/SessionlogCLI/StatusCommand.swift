import ArgumentParser
import Foundation
import LogFormat
import LogStore
import Payloads
import Projections

/// `sessionlog status`: the log's end, the quarantine's, and per projection its live build,
/// checkpoint and lag; the processes writing them; what stops a projector until a rebuild.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the log's end, the quarantine's, and each projection's build, checkpoint, lag (records and seconds) and projector process."
    )

    @OptionGroup var data: DataOptions

    @OptionGroup var report: ReportFormatOption

    func run() async throws {
        try data.requireExisting()
        let reader = LogReader(directory: data.logPath)
        let projections = try ProjectionKind.allCases.map { try ProjectionState($0, data: data, reader: reader) }
        // The log's end is read after the checkpoints: both only grow, so a projector that moves
        // on meanwhile never shows as ahead of the log (a negative lag means a foreign build).
        let (end, endTime) = try Self.end(of: data.logPath)
        let (rejected, rejectedTime) = try Self.end(of: data.rejectedPath)
        let writer = LogDirectory(path: data.logPath).writerPID
        let rows = projections.map { $0.row(logEnd: end, logEndTime: endTime) }
        let notes = projections.compactMap(\.note)
        let problems = projections.flatMap(\.problems)
        var output = BufferedOutput()
        switch report.format {
        case .json:
            var log = Self.endFields(end, endTime)
            log.append(("writer_pid", writer.map { String($0) } ?? "null"))
            output.write(
                JSONText.object([
                    ("log", JSONText.object(log)), ("quarantine", JSONText.object(Self.endFields(rejected, rejectedTime))),
                    ("projections", "[" + rows.map(JSONText.object).joined(separator: ",") + "]"),
                ]) + "\n")
        case .table:
            let time = endTime.map { TimeArgument.text(ms: $0) } ?? "-"
            let writing = writer.map { "written by pid \($0)" } ?? "no process writes it (is the ingress running?)"
            output.write("log \(data.logPath): end offset \(end), last record received \(time); \(writing)\n")
            let rejectedAt = rejectedTime.map { ", the last received \(TimeArgument.text(ms: $0)); `sessionlog replay --rejected` lists them" } ?? ""
            output.write("quarantine \(data.rejectedPath): \(rejected) payloads\(rejectedAt)\n")
            // The table leaves out what the lines below it (and the problems on stderr) say in words.
            let inWords: Set = ["changed_definition", "latest_version", "rebuild"]
            let shown = { (field: (String, String)) in !inWords.contains(field.0) }
            output.write(TextTable.render(header: rows[0].filter(shown).map(\.0), rows: rows.map { $0.filter(shown).map { Self.plain($0.1) } }))
            for note in notes { output.write(note + "\n") }
        }
        output.flush()
        // A build that cannot be read or cannot follow is a failure monitoring must see, after the rest is shown.
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
    private static func endFields(_ end: LogOffset, _ lastReceivedAt: Int64?) -> [(String, String)] {
        [("end_offset", String(end.rawValue)), ("last_received_at", lastReceivedAt.map(String.init) ?? "null")]
    }

    private static func plain(_ json: String) -> String {
        json == "null" ? "-" : json.hasPrefix("\"") ? String(json.dropFirst().dropLast()) : json
    }
}

/// What `status` shows of one projection: its live build's checkpoint and lag, the projector
/// process writing it, a definition that changed since it was built, a rebuild under way, and a
/// newer schema version to rebuild to.
private struct ProjectionState {
    /// The row's fields before the checkpoint's, and after them, as JSON values in column order.
    private var leading: [(String, String)]
    private var trailing: [(String, String)] = []
    /// The live build's next offset, and when the last record it applied was received.
    private var checkpoint: LogOffset?
    private var appliedAtMs: Int64?
    /// The line the table shows under it: a rebuild under way, or else a newer schema version.
    var note: String?
    var problems: [String] = []

    init(_ kind: ProjectionKind, data: DataOptions, reader: LogReader) throws {
        let paths = ProjectionPaths(dataDirectory: data.directory, kind: kind)
        let build = try paths.current()
        leading = [("projection", JSONText.string(kind.rawValue)), ("build", build.map { JSONText.string($0.description) } ?? "null")]
        var changed: String?
        if let build, case let path = paths.database(build), FileManager.default.fileExists(atPath: path) {
            do {
                let (database, built) = try ProjectorError.namingDamage(kind, database: path) {
                    let database = try SQLiteDatabase(path: path, readOnly: true)
                    return (database, try ProjectionCheckpoint.read(database))
                }
                checkpoint = built.nextOffset
                changed = try ProjectionSetup(dataDirectory: data.directory).changedDefinition(kind, in: database, checkpoint: built)
                if let changed { problems.append(ProjectorError.definitionChanged(kind, database: path, what: changed).message) }
            } catch let error as ProjectorError where error.code == .damagedDatabase {
                problems.append(error.message)
            } catch let error as DefinitionError {  // funnels.json itself is invalid: the projector will not start
                problems.append("\(error); the \(kind) projector will not start until it is fixed")
            }
        }
        if let checkpoint, checkpoint > .zero {
            appliedAtMs = try reader.record(at: LogOffset(checkpoint.rawValue - 1))?.receivedAtMs
        }
        let projector = build.flatMap { WriterLock.holder(of: paths.database($0) + ".lock") }
        trailing = [("projector_pid", projector.map { String($0) } ?? "null"), ("changed_definition", changed.map(JSONText.string) ?? "null")]
        trailing.append(("latest_version", String(kind.latestVersion)))
        trailing.append(("rebuild", try Self.rebuild(paths, note: &note)))
        if note == nil, let build, build.version < kind.latestVersion {
            let latest = kind.latestVersion
            note = "\(kind): v\(latest) is the latest schema version; "
                + "`sessionlog rebuild \(kind) --version \(latest) --verify` builds it beside \(build), "
                + "which serves queries until v\(latest) has caught up"
        }
    }

    /// The row's fields as JSON values, in column order, with the lag behind a log end read after
    /// the checkpoint.
    func row(logEnd: LogOffset, logEndTime: Int64?) -> [(String, String)] {
        guard let checkpoint else { return leading + [("next_offset", "null"), ("lag_records", "null"), ("lag_seconds", "null")] + trailing }
        let lagSeconds = logEndTime.map { Double($0 - (appliedAtMs ?? $0)) / 1000 } ?? 0
        return leading + [
            ("next_offset", String(checkpoint.rawValue)),
            // Negative: the projection is ahead of the log, built from another one (its projector refuses).
            ("lag_records", String(Int64(logEnd.rawValue) - Int64(checkpoint.rawValue))),
            ("lag_seconds", String(format: "%.3f", max(0, lagSeconds))),
        ] + trailing
    }

    /// The build a rebuild writes (or left when interrupted) as JSON, and the note the table shows.
    private static func rebuild(_ paths: ProjectionPaths, note: inout String?) throws -> String {
        guard let build = try paths.rebuilding() else { return "null" }
        let path = paths.database(build)
        let pid = WriterLock.holder(of: path + ".lock")
        let reached = try? ProjectionCheckpoint.read(SQLiteDatabase(path: path, readOnly: true)).nextOffset  // nil while it is created
        let at = reached.map { ", at offset \($0)" } ?? ""
        note = pid.map { "\(paths.kind): rebuilding \(build) (pid \($0))\(at); CURRENT switches to it once it has caught up" }
            ?? "\(paths.kind): a rebuild of \(build) was interrupted\(at); `sessionlog rebuild \(paths.kind)` resumes it"
        return JSONText.object([
            ("build", JSONText.string(build.description)), ("pid", pid.map { String($0) } ?? "null"),
            ("next_offset", reached.map { String($0.rawValue) } ?? "null"),
        ])
    }
}
