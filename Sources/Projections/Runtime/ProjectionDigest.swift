import LogFormat

/// A digest of a projection's rows over the columns two schema versions share (`rebuild
/// --verify`): SHA-256 of every table's rows in key order, in a text form where NULL, integers,
/// reals and text are told apart.
enum ProjectionDigest {
    /// The tables `--verify` compares (views derive from them).
    static func tables(_ kind: ProjectionKind) -> [String] {
        switch kind {
        case .pages: ["pages"]
        case .sessions: ["sessions"]
        case .funnels: ["funnel_definition", "funnel_sessions"]
        case .attribution: ["attribution"]
        }
    }

    /// Tables whose shared columns differ between `a` and `b` (empty when they agree).
    static func differences(_ kind: ProjectionKind, _ a: SQLiteDatabase, _ b: SQLiteDatabase) throws -> [String] {
        try tables(kind).filter { table in
            let shared = try a.columns(of: table).filter(Set(try b.columns(of: table)).contains)
            return try digest(a, table: table, columns: shared) != digest(b, table: table, columns: shared)
        }
    }

    static func digest(_ database: SQLiteDatabase, table: String, columns: [String]) throws -> String {
        let list = columns.joined(separator: ", ")
        let statement = try database.statement("SELECT \(list) FROM \(table) ORDER BY \(list)")
        var text: [UInt8] = []
        while try statement.step() {
            for index in 0..<Int32(columns.count) {
                switch statement.value(at: index) {
                case .null: text += Array("N;".utf8)
                case .integer(let number): text += Array("I\(number);".utf8)
                case .real(let number): text += Array("R\(number.bitPattern);".utf8)
                case .text(let value): text += Array("T\(value.utf8.count):\(value);".utf8)
                }
            }
            text.append(0x0A)
        }
        return Hex.sha256(text)
    }
}
