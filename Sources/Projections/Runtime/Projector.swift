import LogFormat
import LogStore
import Payloads
import Synchronization

/// Limits and modes of one projector run.
public struct ProjectorOptions: Sendable {
    /// Records folded per transaction while catching up; at the tail every batch commits at once.
    public var batchRecords = 100_000
    /// Session folds kept in memory between commits; past this many, the cache is dropped after a
    /// commit (every fold is stored by then) and folds are read back as their sessions return.
    /// A few KiB each: docs/operations.md, "Projector memory".
    public var cacheSessions = 20_000
    /// Stop after the record before this offset (a point-in-time projection); a database
    /// already past it is refused (`ProjectorError.pastUntilOffset`).
    public var untilOffset: LogOffset?
    /// Stop at the end of the log instead of following it.
    public var once = false
    /// Upper bound of a wait for the writer when inotify misses a change.
    public var pollIntervalMs: Int32 = 200
    /// At the tail, records are committed at most once per this interval: a record that ends a
    /// quiet spell is applied at once, while a steady stream (a wake-up per group commit of the
    /// ingress) is applied in one transaction per interval instead of one per log commit.
    /// Measured trade-off: docs/measurements.md, session 18.
    public var tailIntervalMs = 25

    public init() {}
}

/// What a projector reports after each commit (for progress displays and logs).
public struct ProjectorProgress: Sendable {
    public var nextOffset: LogOffset
    public var recordsApplied: Int
    public var actionsApplied: Int
    /// True when the projector has reached the end of the log (it then waits or stops).
    public var atTail: Bool
}

/// Replays the log into one projection database and follows its tail (SPEC §4): records in
/// offset order, folded per session, rows and checkpoint committed together. A record it cannot
/// apply stops it with an error naming the offset.
///
/// ```swift
/// let projector = try Projector(kind: .sessions, logDirectory: "data/log", databasePath: "data/projections/sessions/v2.db")
/// try await projector.run()
/// ```
public final class Projector {
    public let kind: ProjectionKind
    public let databasePath: String
    private let projection: any Projection
    private let store: ProjectionStore
    private let logDirectory: String
    private var options: ProjectorOptions

    public init(
        kind: ProjectionKind, logDirectory: String, databasePath: String, version: Int? = nil,
        funnels: FunnelDefinitions = .empty, channels: ChannelRules = .shipped,
        options: ProjectorOptions = ProjectorOptions()
    ) throws {
        self.kind = kind
        self.databasePath = databasePath
        self.logDirectory = logDirectory
        self.options = options
        projection = Self.projection(kind, funnels: funnels, channels: channels)
        store = try ProjectionStore(
            path: databasePath, projection: projection, version: version, cacheSessions: options.cacheSessions)
    }

    /// The projection of `kind`, built with these definitions (only funnels and attribution use them).
    static func projection(_ kind: ProjectionKind, funnels: FunnelDefinitions, channels: ChannelRules) -> any Projection {
        switch kind {
        case .pages: PagesProjection()
        case .sessions: SessionsProjection()
        case .funnels: FunnelsProjection(funnels: funnels)
        case .attribution: AttributionProjection(rules: channels)
        }
    }

    /// The definitions this projector was built with (name → digest, e.g. "funnels.json").
    public var definitions: [String: String] { projection.definitions }

    /// The projection's database (for digests and tests); the projector's own connection.
    public var database: SQLiteDatabase { store.database }

    /// Applies records up to (excluding) `offset`, waiting for the log to reach it.
    public func advance(to offset: LogOffset) async throws {
        let saved = options
        defer { options = saved }
        options.untilOffset = offset
        options.once = false
        try await run()
    }

    /// Closes the database and releases its lock; the projector cannot be used afterwards.
    public func close() { store.close() }

    /// The next offset the projection will apply (its checkpoint).
    public var nextOffset: LogOffset { store.nextOffset }

    /// Applies records until the end of the log (`once`), until `untilOffset`, until `shouldStop`
    /// returns true (checked between commits and while waiting), or forever.
    public func run(
        shouldStop: @escaping @Sendable () -> Bool = { false }, progress: (ProjectorProgress) -> Void = { _ in }
    ) async throws {
        let reader = LogReader(directory: logDirectory)
        if store.nextOffset > .zero, case let logEnd = try reader.endOffset(), logEnd < store.nextOffset {
            throw ProjectorError.aheadOfLog(kind, database: databasePath, checkpoint: store.nextOffset, logEnd: logEnd)
        }
        if let until = options.untilOffset, store.nextOffset > until {
            throw ProjectorError.pastUntilOffset(kind, database: databasePath, checkpoint: store.nextOffset, until: until)
        }
        var cursor = reader.cursor(from: store.nextOffset)
        var waiter = TailWaiter(directory: logDirectory, pollIntervalMs: options.pollIntervalMs)
        var dirty: [String: SessionState] = [:]
        var applied = (records: 0, actions: 0)
        var position = store.nextOffset
        /// When records last reached the tail's commit: the next read waits for the interval.
        var lastTailCommit: ContinuousClock.Instant?

        /// Commits what was folded since the last commit; reports after a commit and at the tail.
        /// Returns whether there was anything to commit.
        @discardableResult
        func commit(atTail: Bool) throws -> Bool {
            let advanced = position != store.nextOffset
            if advanced {
                try store.commit(dirty: Array(dirty.values), through: position, projection: projection)
                dirty.removeAll(keepingCapacity: true)
            }
            if advanced || atTail {
                progress(
                    ProjectorProgress(
                        nextOffset: position, recordsApplied: applied.records, actionsApplied: applied.actions, atTail: atTail))
            }
            return advanced
        }

        /// Folds decoded records in order; on a record that cannot be applied, commits what came
        /// before it and throws.
        func foldChunk(_ chunk: DecodedChunk) throws {
            for (record, payload) in chunk.payloads {
                applied.actions += try self.fold(payload, offset: record, dirty: &dirty)
                applied.records += 1
                position = record.advanced(by: 1)
            }
            if let failure = chunk.failure {
                try commit(atTail: false)
                throw failure
            }
        }

        while true {
            if let until = options.untilOffset, position >= until {
                try commit(atTail: true)
                return
            }
            // Read and decode the next chunk on another core while this one folds the previous.
            var read = 0
            var atTail = false
            var inFlight: Task<DecodedChunk, Never>?
            while read < options.batchRecords && !atTail {
                var records: [LogRecord] = []
                while records.count < Self.decodeChunkRecords && read + records.count < options.batchRecords {
                    guard let batch = try cursor.nextBatch() else {
                        atTail = true
                        break
                    }
                    let until = options.untilOffset
                    records += until.map { limit in batch.filter { $0.offset < limit } } ?? batch
                    if let until, cursor.nextOffset >= until {
                        atTail = true
                        break
                    }
                }
                guard !records.isEmpty else { break }
                read += records.count
                let decoding = Task.detached { [records] in DecodedChunk(records) }
                if let previous = inFlight { try foldChunk(await previous.value) }
                inFlight = decoding
            }
            if let last = inFlight { try foldChunk(await last.value) }
            if try commit(atTail: atTail), atTail { lastTailCommit = .now }
            if shouldStop() { return }
            guard atTail else { continue }
            if options.once || options.untilOffset.map({ position >= $0 }) == true { return }
            try await waiter.wait()
            if let lastTailCommit, case let due = lastTailCommit + .milliseconds(options.tailIntervalMs), due > .now {
                try await Task.sleep(until: due)
            }
        }
    }

    /// Records decoded per task handed to another core.
    static let decodeChunkRecords = 2048

    /// Folds one decoded payload into its session; returns the number of actions it carried.
    private func fold(_ payload: Payload, offset: LogOffset, dirty: inout [String: SessionState]) throws -> Int {
        let session: PayloadText
        let actions: Int
        switch payload {
        case .v3(let v3): (session, actions) = (v3.sessionID, v3.actions.count)
        case .v2(let context): (session, actions) = (context.sessionID, 0)
        case .v1(let event): (session, actions) = (event.sessionID, 1)
        }
        let sessionID = session.string
        let state = try dirty[sessionID] ?? store.stateForUpdate(sessionID)
        state.apply(payload, offset: Int64(offset.rawValue))
        dirty[sessionID] = state
        return actions
    }
}

/// Decoded payloads of consecutive records, up to the first one that cannot be decoded.
struct DecodedChunk: Sendable {
    var payloads: [(LogOffset, Payload)] = []
    var failure: ProjectorError?

    init(_ records: [LogRecord]) {
        payloads.reserveCapacity(records.count)
        for record in records {
            guard let version = PayloadVersion(rawValue: record.version) else {
                failure = .unreadable(offset: record.offset, "payload version \(record.version) is not 1, 2 or 3")
                return
            }
            do {
                payloads.append((record.offset, try PayloadValidator.validate(record.payload, route: version)))
            } catch {
                failure = .unreadable(offset: record.offset, "the payload is invalid (\(error))")
                return
            }
        }
    }
}
