import ArgumentParser
import Foundation
import Payloads
import Projections

/// `sessionlog query NAME`: print a projection's rows as a table, JSON lines or CSV.
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Print a projection's rows (table, JSON lines or CSV).",
        discussion: """
            pages and sessions print their table; funnels prints funnel_steps and attribution \
            prints attribution_channels (use --table funnel_sessions or --table attribution for \
            the per-session rows). Reads the live build read-only while its projector runs.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

    @OptionGroup var data: DataOptions

    @Argument(help: "pages, sessions, funnels or attribution.")
    var name: ProjectionKind

    @Option(help: "Only rows of this site.")
    var site: String?

    @Option(help: "Output format: table, json (one object per line) or csv.")
    var format: Format = .table

    @Option(help: "Which of the projection's tables to print.")
    var table: String?

    @Option(help: "Print at most this many rows.")
    var limit: Int?

    @Option(help: "Read this database file instead of the live build.")
    var db: String?

    func validate() throws {
        if let table, !name.tables.contains(table) {
            let tables = name.tables.count == 1 ? "only the table \(name.tables[0])" : "the tables \(name.tables.joined(separator: " and "))"
            throw ValidationError("\(name) has \(tables), not \(table)")
        }
        if let limit, limit < 0 { throw ValidationError("--limit must be ≥ 0") }
    }

    func run() async throws {
        if db == nil { try data.requireExisting() }
        let path = try ProjectionDatabase.path(name, data: data, override: db)
        let database = try ProjectionDatabase.openReadOnly(name, path: path)
        let table = table ?? name.tables[0]
        var arguments: [SQLValue] = []
        var sql = "SELECT * FROM \(table)"
        if let site {
            sql += table == "funnel_steps" ? " WHERE funnel IN (SELECT funnel FROM funnel_definition WHERE site_id = ?)" : " WHERE site_id = ?"
            arguments.append(.text(site))
        }
        sql += " ORDER BY " + Self.order[table, default: "1"]
        if let limit { sql += " LIMIT \(limit)" }
        var output = BufferedOutput()
        switch format {
        case .table:
            // Two passes over one snapshot: the widths, then the lines; no row is held.
            let cells = { (row: [SQLValue]) in row.map { Self.tableCell(Self.text($0)) } }
            try database.readTransaction {
                var table = TextTable(header: [])
                try database.forEachRow(sql, arguments, columns: { table = TextTable(header: $0) }) { table.measure(cells($0)) }
                var line = [UInt8]()
                let write = { (row: [String]) in
                    line.removeAll(keepingCapacity: true)
                    table.appendLine(row, to: &line)
                    output.write(line)
                }
                try database.forEachRow(sql, arguments, columns: write) { write(cells($0)) }
            }
        case .csv:
            let write = { (fields: [String]) in
                for (index, field) in fields.enumerated() {
                    if index > 0 { output.write(",") }
                    output.write(Self.csvField(field))
                }
                output.write("\r\n")
            }
            try database.forEachRow(sql, arguments, columns: write) { write($0.map(Self.text)) }
        case .json:
            var columns: [String] = []
            try database.forEachRow(sql, arguments, columns: { columns = $0 }) { row in
                output.write(JSONText.object(zip(columns, row.map(Self.json)).map { ($0, $1) }) + "\n")
            }
        }
        output.flush()
        if name == .funnels, try database.rows("SELECT 1 FROM funnel_definition LIMIT 1").rows.isEmpty {
            printError(
                "query: this funnels build has no funnels: \(data.directory)/funnels.json was absent when it was built. Define "
                    + "them there (an example: Schemas/funnels.example.json), then run `sessionlog rebuild funnels`.")
        }
    }

    static let order = [
        "pages": "session_id, page_number",
        "sessions": "started_at, session_id",
        "funnel_steps": "funnel, step_index",
        "funnel_sessions": "funnel, session_id",
        "attribution_channels": "site_id, model, sessions DESC, channel",
        "attribution": "session_id",
    ]

    /// Table and CSV cells: NULL is an empty cell.
    static func text(_ value: SQLValue) -> String { value == .null ? "" : value.description }

    /// A table cell keeps to its line: control characters (a title's newline) print escaped,
    /// `\n`, `\r`, `\t` or `\u{1b}`; csv and json carry them as they are.
    static func tableCell(_ text: String) -> String {
        // Control characters are U+0000–U+001F and U+007F–U+009F; in UTF-8 their bytes are below
        // 0x20, 0x7F, or a 0xC2 lead: text without those needs no look at its scalars.
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 }),
            text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return text }
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where scalar.properties.generalCategory == .control: escaped += "\\u{\(String(scalar.value, radix: 16))}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    static func json(_ value: SQLValue) -> String {
        switch value {
        case .null: "null"
        case .integer(let number): String(number)
        case .real(let number): number.isFinite ? String(number) : "null"
        case .text(let text): JSONText.string(text)
        }
    }

    /// RFC 4180: quote fields holding a comma, quote, CR or LF; double the quotes.
    static func csvField(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }) else {
            return text
        }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
