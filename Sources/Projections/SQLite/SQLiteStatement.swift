import CSQLite

/// A prepared statement owned by its `SQLiteDatabase` (which finalizes it). Bind, then `step()`
/// until it returns false, or `run()` for statements without results.
public final class SQLiteStatement {
    private let raw: OpaquePointer
    private let database: OpaquePointer
    public let sql: String

    init(_ raw: OpaquePointer, database: OpaquePointer, sql: String) {
        self.raw = raw
        self.database = database
        self.sql = sql
    }

    deinit { sqlite3_finalize(raw) }

    func reset() {
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
    }

    /// Binds `values` to parameters 1…n.
    public func bind(_ values: [SQLValue]) throws(SQLiteError) {
        for (index, value) in values.enumerated() { try bind(value, at: Int32(index + 1)) }
    }

    public func bind(_ value: SQLValue, at index: Int32) throws(SQLiteError) {
        let code: Int32
        switch value {
        case .null: code = sqlite3_bind_null(raw, index)
        case .integer(let number): code = sqlite3_bind_int64(raw, index, number)
        case .real(let number): code = sqlite3_bind_double(raw, index, number)
        case .text(let text): code = sqlite3_bind_text(raw, index, text, -1, SQLiteStatement.transient)
        }
        guard code == SQLITE_OK else { throw SQLiteError(code, database, context: sql) }
    }

    public func bind(blob: [UInt8], at index: Int32) throws(SQLiteError) {
        let code = blob.withUnsafeBytes { sqlite3_bind_blob(raw, index, $0.baseAddress, Int32($0.count), SQLiteStatement.transient) }
        guard code == SQLITE_OK else { throw SQLiteError(code, database, context: sql) }
    }

    /// Advances to the next row; false when done.
    public func step() throws(SQLiteError) -> Bool {
        switch sqlite3_step(raw) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code: throw SQLiteError(code, database, context: sql)
        }
    }

    /// Binds `values` and runs the statement to completion.
    public func run(_ values: [SQLValue] = []) throws(SQLiteError) {
        try bind(values)
        try runBound()
    }

    /// Runs the statement with the values already bound, then resets it for the next use.
    public func runBound() throws(SQLiteError) {
        while try step() {}
        reset()
    }

    public var columnCount: Int32 { sqlite3_column_count(raw) }

    public func columnName(at index: Int32) -> String { String(cString: sqlite3_column_name(raw, index)) }

    public func value(at index: Int32) -> SQLValue {
        switch sqlite3_column_type(raw, index) {
        case SQLITE_INTEGER: .integer(sqlite3_column_int64(raw, index))
        case SQLITE_FLOAT: .real(sqlite3_column_double(raw, index))
        case SQLITE_NULL: .null
        default: .text(String(cString: sqlite3_column_text(raw, index)))
        }
    }

    public func blob(at index: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(raw, index))
        guard count > 0, let base = sqlite3_column_blob(raw, index) else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// `SQLITE_TRANSIENT` (SQLite copies the bound bytes); the C macro does not import.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
