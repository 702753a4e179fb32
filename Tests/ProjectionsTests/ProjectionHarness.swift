import Foundation
import LogFormat
import LogStore
import SessionlogTestKit
import Testing

@testable import Projections

/// A real log in a temporary directory, filled with payload lines, and real projector runs
/// over it into real SQLite files.
final class ProjectionHarness {
    let directory: TemporaryDirectory
    var logPath: String { directory.path + "/log" }
    private var databases = 0

    init() throws { directory = try TemporaryDirectory(prefix: "sessionlog-projection") }

    deinit { directory.remove() }

    /// Appends payload lines (each carrying its `v`) in order, `chunk` per batch.
    @discardableResult
    func append(_ lines: [String], chunk: Int = 16) async throws -> [LogOffset] {
        let writer = try LogWriter.open(directory: logPath)
        var offsets: [LogOffset] = []
        for start in stride(from: 0, to: lines.count, by: chunk) {
            offsets += try await writer.append(lines[start..<min(lines.count, start + chunk)].map(Self.record))
        }
        await writer.close()
        return offsets
    }

    static func record(_ line: String) -> AppendRecord {
        let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        let version = (object?["v"] as? Int).map(UInt8.init) ?? 3
        return AppendRecord(version: version, producerUID: 1000, payload: Array(line.utf8))
    }

    /// Projects the whole log into a new database and returns it.
    func project(
        _ kind: ProjectionKind, version: Int? = nil, funnels: String? = nil, batchRecords: Int = 100_000,
        untilOffset: LogOffset? = nil, cacheSessions: Int = ProjectorOptions().cacheSessions
    ) async throws -> SQLiteDatabase {
        databases += 1
        let path = directory.path + "/\(kind)-\(databases).db"
        try await run(
            kind, path: path, version: version, funnels: funnels, batchRecords: batchRecords, untilOffset: untilOffset,
            cacheSessions: cacheSessions)
        return try SQLiteDatabase(path: path, readOnly: true)
    }

    /// One `--once` run into `path` (created or resumed).
    func run(
        _ kind: ProjectionKind, path: String, version: Int? = nil, funnels: String? = nil, batchRecords: Int = 100_000,
        untilOffset: LogOffset? = nil, cacheSessions: Int = ProjectorOptions().cacheSessions
    ) async throws {
        var options = ProjectorOptions()
        options.once = true
        options.batchRecords = batchRecords
        options.untilOffset = untilOffset
        options.cacheSessions = cacheSessions
        let definitions = try funnels.map { try FunnelDefinitions(funnels: FunnelDefinitions.parse(Array($0.utf8), file: "funnels.json"), digest: Hex.sha256(Array($0.utf8))) } ?? .empty
        let projector = try Projector(
            kind: kind, logDirectory: logPath, databasePath: path, version: version, funnels: definitions, options: options)
        try await projector.run()
    }

    /// Expects one `run` with these arguments to stop with a `ProjectorError` of `code` that
    /// `matches` (its message, its offset).
    func expectRunFails(
        _ kind: ProjectionKind, path: String, funnels: String? = nil, batchRecords: Int = 100_000, untilOffset: LogOffset? = nil,
        with code: ProjectorError.Code, sourceLocation: SourceLocation = #_sourceLocation, where matches: (ProjectorError) -> Bool
    ) async {
        await #expect(sourceLocation: sourceLocation) {
            try await run(kind, path: path, funnels: funnels, batchRecords: batchRecords, untilOffset: untilOffset)
        } throws: { error in
            guard let error = error as? ProjectorError else { return false }
            return error.code == code && matches(error)
        }
    }
}

extension SQLiteDatabase {
    /// Rows of `sql` as dictionaries by column name.
    func objects(_ sql: String, _ arguments: [SQLValue] = []) throws -> [[String: SQLValue]] {
        let result = try rows(sql, arguments)
        return result.rows.map { Dictionary(uniqueKeysWithValues: zip(result.columns, $0)) }
    }

    func one(_ sql: String, _ arguments: [SQLValue] = []) throws -> [String: SQLValue] {
        let all = try objects(sql, arguments)
        guard all.count == 1 else { throw HarnessError("expected one row from \(sql), got \(all.count)") }
        return all[0]
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Small payload builders: JSON text for the three versions, with only the fields a test sets.
enum P {
    static let t0: Int64 = 1_762_000_000_000

    static func json(_ object: [String: Any]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    static func v3(
        _ session: String, site: String = "shop", user: String = "u1", sentAt: Int64 = t0, checkpoint: Int = 0,
        attributes: [String: Any]? = nil, actions: [[String: Any]]
    ) -> String {
        var object: [String: Any] = [
            "v": 3, "session_id": session, "user_id": user, "site_id": site, "sent_at": sentAt, "checkpoint": checkpoint,
            "actions": actions,
        ]
        if let attributes { object["attributes"] = attributes }
        return json(object)
    }

    static func page(
        _ number: Int, _ path: String, at: Int64, duration: Int64 = 0, scroll: Int? = nil, final: Bool = false, url: String? = nil,
        title: String? = nil
    ) -> [String: Any] {
        var object: [String: Any] = [
            "type": "pageview", "page_number": number, "path": path, "entered_at": at, "duration_ms": duration, "final": final,
        ]
        if let scroll { object["scroll"] = scroll }
        if let url { object["url"] = url }
        if let title { object["title"] = title }
        return object
    }

    static func goal(_ page: Int, _ name: String, at: Int64, value: Double? = nil) -> [String: Any] {
        var object: [String: Any] = ["type": "goal", "page_number": page, "name": name, "at": at]
        if let value { object["value"] = value }
        return object
    }

    static func v2(
        _ session: String, kind: String = "start", old: String? = nil, site: String = "shop", user: String = "u1",
        startedAt: Int64 = t0, extra: [String: Any] = [:], original: [String: Any]? = nil, current: [String: Any]? = nil
    ) -> String {
        var object: [String: Any] = [
            "v": 2, "kind": kind, "session_id": session, "user_id": user, "site_id": site, "started_at": startedAt,
        ]
        if let old { object["old_session_id"] = old }
        var attribution: [String: Any] = [:]
        if let original { attribution["original"] = original }
        if let current { attribution["current"] = current }
        if !attribution.isEmpty { object["attribution"] = attribution }
        return json(object.merging(extra) { $1 })
    }

    static func v1(
        _ session: String, _ id: String, _ type: String, at timestamp: String, url: String = "https://shop.example/",
        referrer: String? = nil, extra: [String: Any] = [:]
    ) -> String {
        var object: [String: Any] = [
            "v": 1, "event_id": id, "event_type": type, "timestamp": timestamp, "session_id": session, "user_id": "u1",
            "project_id": "shop", "page_url": url, "session_event_sequence": 1,
        ]
        if let referrer { object["referrer_url"] = referrer }
        return json(object.merging(extra) { $1 })
    }
}
