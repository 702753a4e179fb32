/// How one projection turns folded sessions into rows. The runtime (`Projector`) owns the
/// database, the fold cache and the checkpoint; a projection only replaces the rows of the
/// sessions a batch touched, inside the runtime's transaction.
protocol Projection {
    var kind: ProjectionKind { get }
    /// Definition digests the database must have been built with (name → digest).
    var definitions: [String: String] { get }
    /// Called once when the database is created, inside its first transaction.
    func initialize(_ tables: TableSet) throws
    /// Replaces the rows derived from `sessions` (each changed since the last call).
    func write(_ sessions: [SessionState], tables: TableSet, lookup: SessionLookup) throws
}

extension Projection {
    func initialize(_ tables: TableSet) throws {}
}

/// Finds other sessions' folds (attribution's renewal chains), from the cache or the database.
protocol SessionLookup {
    func state(of sessionID: String) throws -> SessionState?
    /// Sessions whose `renewed_from` is `sessionID` (whether or not `sessionID` exists yet).
    func renewals(of sessionID: String) throws -> [String]
}
