import Foundation
import LogFormat
import LogStore

/// One projection database (SQLite, WAL): its tables, the `_checkpoint` row, the definitions it
/// was built with, and the persisted session folds. Every `commit` writes rows, folds and the
/// checkpoint in one transaction, so a crash anywhere resumes exactly once.
///
/// Held by one projector process at a time (`<db>.lock`); readers (`query`, `status`) open the
/// file read-only alongside it. Not thread-safe.
final class ProjectionStore: SessionLookup {
    let kind: ProjectionKind
    let version: Int
    let database: SQLiteDatabase
    let tables: TableSet
    private(set) var nextOffset: LogOffset
    /// Folds of recently touched sessions; the source of truth for them until the next commit.
    private var cache: [String: SessionState] = [:]
    /// More cached folds than this are dropped after a commit (all of them are stored by then).
    private let cacheSessions: Int
    private let lock: WriterLock

    /// `_session_state` is a rowid table: a session's row is appended by the commit that first
    /// stores it and later updated in place (`saveState`), so the states a commit at the tail
    /// rewrites — recently active sessions — share a few pages at the end of the table rather than
    /// taking a page each across all of it. Databases made before this layout keep their
    /// `WITHOUT ROWID` table (keyed, and so spread, by session id); every statement here works on
    /// both. See docs/decisions/0004-projections.md (session 39).
    static let internalDDL = """
        CREATE TABLE _checkpoint (projection TEXT NOT NULL PRIMARY KEY, schema_version INTEGER NOT NULL,
            next_offset INTEGER NOT NULL, updated_at INTEGER NOT NULL);
        CREATE TABLE _definitions (name TEXT NOT NULL PRIMARY KEY, digest TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE _session_state (session_id TEXT NOT NULL PRIMARY KEY, renewed_from TEXT, state BLOB NOT NULL);
        CREATE INDEX _session_state_by_renewed_from ON _session_state (renewed_from) WHERE renewed_from IS NOT NULL;
        """

    /// Opens `path`, creating it at `version` (default: the latest) when it does not exist. An
    /// existing database must be this projection at `version` (default: whatever it has), built
    /// with the same definitions.
    init(path: String, projection: any Projection, version requested: Int?, cacheSessions: Int) throws {
        let kind = projection.kind
        if let requested { try ProjectorError.checkKnown(kind, version: requested) }
        let lock = try WriterLock.acquire(lockFile: path + ".lock") { holder in
            ProjectorError(code: .busy, message: "\(path) is being written by \(holder) (another projector); stop it first")
        }
        let (database, existing) = try ProjectorError.namingOpenFailure(kind, database: path) {
            let database = try SQLiteDatabase(path: path)
            return (database, try database.columns(of: "_checkpoint").isEmpty ? nil : try ProjectionCheckpoint.read(database))
        }
        let version = requested ?? existing?.schemaVersion ?? kind.latestVersion
        try ProjectorError.checkKnown(kind, version: version)
        self.kind = kind
        self.version = version
        self.lock = lock
        self.cacheSessions = cacheSessions
        self.database = database
        tables = TableSet(database: database)
        nextOffset = existing?.nextOffset ?? .zero

        let definitions = Self.definitions(of: projection, version: version)
        guard let checkpoint = existing else {
            try ProjectorError.namingOpenFailure(kind, database: path) {
                try database.transaction {
                    try database.execute(kind.ddl(version: version))
                    try database.execute(Self.internalDDL)
                    try database.statement("INSERT INTO _checkpoint VALUES (?, ?, 0, ?)").run([
                        .text(kind.rawValue), .integer(Int64(version)), .integer(WallClock.nowMs()),
                    ])
                    for (name, digest) in definitions.sorted(by: { $0.key < $1.key }) {
                        try database.statement("INSERT INTO _definitions VALUES (?, ?)").run([.text(name), .text(digest)])
                    }
                    try projection.initialize(tables)
                }
            }
            return
        }
        guard checkpoint.projection == kind.rawValue, checkpoint.schemaVersion == version else {
            throw ProjectorError(
                code: .wrongDatabase,
                message: "\(path) holds \(checkpoint.projection) v\(checkpoint.schemaVersion), not \(kind) v\(version)")
        }
        if let changed = try Self.changedDefinition(in: database, expected: definitions) {
            throw ProjectorError.definitionChanged(kind, database: path, what: changed)
        }
    }

    /// What a build of `projection` at `version` must have been built with (name → digest): the
    /// projection's own files, its DDL and the fold state's format.
    static func definitions(of projection: any Projection, version: Int) -> [String: String] {
        var definitions = projection.definitions
        definitions["schema v\(version)"] = Hex.sha256(Array(projection.kind.ddl(version: version).utf8))
        definitions["fold state format"] = String(SessionStateCodec.formatVersion)
        return definitions
    }

    /// The first (by name) of `expected`'s definitions that `database` was built with another
    /// version of, or nil when it was built with all of them.
    static func changedDefinition(in database: SQLiteDatabase, expected: [String: String]) throws -> String? {
        let stored = Dictionary(
            uniqueKeysWithValues: try database.rows("SELECT name, digest FROM _definitions").rows.map { ("\($0[0])", "\($0[1])") })
        return expected.keys.sorted().first { stored[$0] != expected[$0] }
    }

    // MARK: Folds

    /// The session's fold for updating: cached, stored, or new.
    func stateForUpdate(_ sessionID: String) throws -> SessionState {
        if let cached = try state(of: sessionID) { return cached }
        let created = SessionState(sessionID: sessionID)
        cache[sessionID] = created
        return created
    }

    func state(of sessionID: String) throws -> SessionState? {
        if let cached = cache[sessionID] { return cached.isEmpty ? nil : cached }
        let select = try database.statement("SELECT state FROM _session_state WHERE session_id = ?")
        try select.bind([.text(sessionID)])
        guard try select.step() else { return nil }
        let state = try SessionStateCodec.decode(select.blob(at: 0), sessionID: sessionID)
        cache[sessionID] = state
        return state
    }

    func renewals(of sessionID: String) throws -> [String] {
        try database.rows("SELECT session_id FROM _session_state WHERE renewed_from = ?", [.text(sessionID)]).rows.map { "\($0[0])" }
    }

    /// Writes the folds of `dirty` (in key order), lets the projection replace their rows, and
    /// advances the checkpoint to `nextOffset` — all in one transaction.
    func commit(dirty: [SessionState], through nextOffset: LogOffset, projection: any Projection) throws {
        precondition(nextOffset >= self.nextOffset, "checkpoint moving backwards: \(self.nextOffset) → \(nextOffset)")
        let sorted = dirty.sorted { $0.sessionID < $1.sessionID }
        do {
            try write(sorted, through: nextOffset, projection: projection)
        } catch let error as SQLiteError {
            throw ProjectorError.commitFailed(kind, database: database.path, checkpoint: self.nextOffset, error)
        }
        self.nextOffset = nextOffset
        if cache.count > cacheSessions { cache.removeAll(keepingCapacity: true) }
    }

    /// Stores a session's fold, updating its row where it lies (REPLACE would delete it and append
    /// it under a new rowid, touching two pages and the session-id index).
    private static let saveState = """
        INSERT INTO _session_state VALUES (?, ?, ?)
            ON CONFLICT (session_id) DO UPDATE SET renewed_from = excluded.renewed_from, state = excluded.state
        """

    private func write(_ sorted: [SessionState], through nextOffset: LogOffset, projection: any Projection) throws {
        try database.transaction {
            let save = try database.statement(Self.saveState)
            for session in sorted {
                try save.bind(.text(session.sessionID), at: 1)
                try save.bind(.optional(session.renewedFrom), at: 2)
                try save.bind(blob: SessionStateCodec.encode(session), at: 3)
                try save.runBound()
            }
            try projection.write(sorted, tables: tables, lookup: self)
            try database.statement("UPDATE _checkpoint SET next_offset = ?, updated_at = ?").run([
                .integer(Int64(nextOffset.rawValue)), .integer(WallClock.nowMs()),
            ])
        }
    }

    /// Closes the database and releases its lock, so another process may open it.
    func close() {
        cache.removeAll()
        database.close()
        lock.release()
    }
}

/// A projection database's `_checkpoint` row: which projection and schema version it holds and
/// the next offset it will apply. Readable from a read-only connection, without the writer lock.
public struct ProjectionCheckpoint: Sendable {
    public var projection: String
    public var schemaVersion: Int
    public var nextOffset: LogOffset
    public var updatedAtMs: Int64

    public static func read(_ database: SQLiteDatabase) throws -> ProjectionCheckpoint {
        let rows = try database.rows("SELECT projection, schema_version, next_offset, updated_at FROM _checkpoint").rows
        guard rows.count == 1, case .text(let projection) = rows[0][0], case .integer(let version) = rows[0][1],
            case .integer(let next) = rows[0][2], case .integer(let updated) = rows[0][3]
        else { throw ProjectorError(code: .wrongDatabase, message: "\(database.path) has no valid _checkpoint row") }
        return ProjectionCheckpoint(projection: projection, schemaVersion: Int(version), nextOffset: LogOffset(UInt64(next)), updatedAtMs: updated)
    }
}
