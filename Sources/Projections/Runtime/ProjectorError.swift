import LogFormat

/// Why a projector stopped, with what to do about it.
public struct ProjectorError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A log record could not be decoded or applied; the projector never skips one.
        case unreadableRecord = "unreadable_record"
        /// funnels.json, channels.json, the DDL or the state format changed since the database was built.
        case definitionChanged = "definition_changed"
        /// The database belongs to another projection or schema version.
        case wrongDatabase = "wrong_database"
        /// Another projector process owns the database.
        case busy
        /// A version or name this build does not know.
        case invalidArgument = "invalid_argument"
        /// The projection's checkpoint is past the log's end: it was built from another log.
        case aheadOfLog = "ahead_of_log"
        /// A point-in-time run was asked for an offset the database has already passed.
        case pastUntilOffset = "past_until_offset"
        /// The database refused a commit (disk full, I/O error); nothing of the batch was applied.
        case commitFailed = "commit_failed"
        /// The database file is not a SQLite database, or a corrupt one.
        case damagedDatabase = "damaged_database"
        /// The database could not be opened or created (disk full, no write access, I/O error);
        /// nothing was written to it.
        case openFailed = "open_failed"
    }

    public var code: Code
    public var message: String
    public var offset: LogOffset?

    public var description: String { message }

    static func unreadable(offset: LogOffset, _ reason: String) -> ProjectorError {
        ProjectorError(
            code: .unreadableRecord, message: "cannot apply the record at offset \(offset): \(reason); the projector stopped there",
            offset: offset)
    }

    /// Throws `invalidArgument` unless this build has `version` of `kind`.
    static func checkKnown(_ kind: ProjectionKind, version: Int) throws(ProjectorError) {
        guard !kind.versions.contains(version) else { return }
        throw ProjectorError(
            code: .invalidArgument,
            message: "\(kind) has no version \(version); this build knows \(kind.versions.map { "v\($0)" }.joined(separator: ", "))")
    }

    static func aheadOfLog(_ kind: ProjectionKind, database: String, checkpoint: LogOffset, logEnd: LogOffset) -> ProjectorError {
        ProjectorError(
            code: .aheadOfLog,
            message:
                "\(database) has applied the log up to offset \(checkpoint), but the log ends at \(logEnd): it was built from "
                + "another log (this one was restored from an older copy, or replaced), so it would fold different records "
                + "under the same offsets. Run `sessionlog rebuild \(kind)` to build it from this log. (Right after a power "
                + "loss it can also mean that no writer has reopened the log yet; then this clears once the ingress has.)",
            offset: checkpoint)
    }

    static func pastUntilOffset(_ kind: ProjectionKind, database: String, checkpoint: LogOffset, until: LogOffset) -> ProjectorError {
        ProjectorError(
            code: .pastUntilOffset,
            message:
                "\(database) has already applied the log up to offset \(checkpoint), past --until-offset \(until), and a projection "
                + "cannot go back. Build the point-in-time projection into a new file: "
                + "`sessionlog project \(kind) --until-offset \(until) --db NEW.db --once`",
            offset: checkpoint)
    }

    static func commitFailed(_ kind: ProjectionKind, database: String, checkpoint: LogOffset, _ error: SQLiteError) -> ProjectorError {
        ProjectorError(
            code: .commitFailed,
            message:
                "cannot commit to \(database): \(error.message) (SQLite error \(error.resultCode)). Nothing of this batch was applied; "
                + "the checkpoint stays at offset \(checkpoint). Fix the cause (free disk space) and run the projector "
                + "again: it resumes from there",
            offset: checkpoint)
    }

    /// Runs `body`, which opens or reads `database` (a build of `kind`), and turns an error that
    /// says the file is damaged (`SQLiteError.isDamagedFile`) into `damagedDatabase`, which names
    /// the file and how to build it again.
    public static func namingDamage<R>(_ kind: ProjectionKind, database: String, _ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as SQLiteError where error.isDamagedFile {
            throw damaged(kind, database: database, error)
        }
    }

    /// `namingDamage` for a projector, which opens `database` to write it or creates its tables
    /// in `body`: any other SQLite error becomes `openFailed`, which names the file and what to fix.
    static func namingOpenFailure<R>(_ kind: ProjectionKind, database: String, _ body: () throws -> R) throws -> R {
        do {
            return try namingDamage(kind, database: database, body)
        } catch let error as SQLiteError {
            throw ProjectorError(
                code: .openFailed,
                message:
                    "cannot open or create \(database): \(error.message) (SQLite error \(error.resultCode)). Nothing was written to it; "
                    + "fix the cause (free disk space, or let this user write to its directory) and run the command again")
        }
    }

    private static func damaged(_ kind: ProjectionKind, database: String, _ error: SQLiteError) -> ProjectorError {
        ProjectorError(
            code: .damagedDatabase,
            message:
                "\(database) cannot be read: \(error.message) (SQLite error \(error.resultCode)). Build the projection again "
                + "from the log: `sessionlog rebuild \(kind)` for the live build (a point-in-time file: remove it and run again)")
    }

    public static func definitionChanged(_ kind: ProjectionKind, database: String, what: String) -> ProjectorError {
        ProjectorError(
            code: .definitionChanged,
            message:
                "\(what) changed since \(database) was built; it will not follow with a stale definition. Run `sessionlog rebuild \(kind)` to build it with the current one"
        )
    }
}
