@_exported import Projections

extension SQLiteDatabase {
    /// Every user table and view, sorted, as text: the "table dump" determinism compares.
    public func dump() throws -> String {
        let names = try rows(
            "SELECT name FROM sqlite_master WHERE type IN ('table','view') AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite%' ORDER BY name"
        ).rows.map { "\($0[0])" }
        var out = ""
        for name in names {
            out += "## \(name)\n"
            for row in try rows("SELECT * FROM \(name) ORDER BY 1, 2, 3").rows { out += row.map { "\($0)" }.joined(separator: "|") + "\n" }
        }
        return out
    }
}
