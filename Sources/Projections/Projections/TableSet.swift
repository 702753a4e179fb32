/// The projection tables of one database, each with a row writer that binds only the columns
/// the database's schema version has: projections produce rows of their latest version, and an
/// older version (v1 pages without `scroll`, …) simply stores fewer columns.
final class TableSet {
    let database: SQLiteDatabase
    private var writers: [String: TableWriter] = [:]

    init(database: SQLiteDatabase) { self.database = database }

    /// The writer for `table`, whose latest-version columns are `columns`.
    func table(_ table: String, columns: [String]) throws -> TableWriter {
        if let writer = writers[table] { return writer }
        let writer = try TableWriter(database: database, table: table, columns: columns)
        writers[table] = writer
        return writer
    }
}

/// Writes rows given in a fixed column order, keeping the columns the table has: a row replaces
/// the one with its primary key, and a row equal to the stored one is not written at all, so a
/// session's unchanged rows (its earlier pages, say) dirty no database page at the tail.
final class TableWriter {
    private let statement: SQLiteStatement
    /// For each bound parameter, the index of its value in a full row.
    private let kept: [Int]
    private let columnCount: Int

    init(database: SQLiteDatabase, table: String, columns: [String]) throws {
        let present = Set(try database.columns(of: table))
        precondition(!present.isEmpty, "table \(table) does not exist in \(database.path)")
        kept = columns.indices.filter { present.contains(columns[$0]) }
        columnCount = columns.count
        let names = kept.map { columns[$0] }
        let key = try database.primaryKey(of: table)
        precondition(!key.isEmpty && Set(key).isSubset(of: names), "the rows of \(table) do not carry its primary key \(key)")
        let values = names.filter { !key.contains($0) }
        // An upsert rather than INSERT OR REPLACE: REPLACE deletes and reinserts the row and its
        // index entries even when nothing changed; the update below runs only for a changed row.
        let update =
            values.isEmpty
            ? "NOTHING"
            : "UPDATE SET \(values.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")) "
                + "WHERE (\(values.joined(separator: ", "))) IS NOT (\(values.map { "excluded.\($0)" }.joined(separator: ", ")))"
        statement = try database.statement(
            "INSERT INTO \(table) (\(names.joined(separator: ", "))) VALUES (\(names.map { _ in "?" }.joined(separator: ", "))) "
                + "ON CONFLICT (\(key.joined(separator: ", "))) DO \(update)")
    }

    func replace(_ row: [SQLValue]) throws {
        precondition(row.count == columnCount, "a row has \(columnCount) values, got \(row.count)")
        for (parameter, index) in kept.enumerated() { try statement.bind(row[index], at: Int32(parameter + 1)) }
        try statement.runBound()
    }
}
