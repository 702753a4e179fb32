/// Left-aligned columns separated by two spaces, for terminal tables. Widths are measured over
/// every row first (`measure`), then each row becomes its line (`appendLine`), so a caller that
/// can read its rows twice never holds them all.
struct TextTable {
    private(set) var widths: [Int]

    init(header: [String]) { widths = header.map(Self.width) }

    mutating func measure(_ row: [String]) {
        for (column, cell) in row.enumerated() { widths[column] = max(widths[column], Self.width(cell)) }
    }

    /// Appends `row` padded to the widths, without trailing spaces, and a newline.
    func appendLine(_ row: [String], to bytes: inout [UInt8]) {
        let start = bytes.count
        for (column, cell) in row.enumerated() {
            bytes.append(contentsOf: cell.utf8)
            if column < row.count - 1 {
                bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: widths[column] - Self.width(cell) + 2))
            }
        }
        while bytes.count > start && bytes.last == UInt8(ascii: " ") { bytes.removeLast() }
        bytes.append(UInt8(ascii: "\n"))
    }

    /// Characters, as a terminal shows them; counted as bytes when the text is ASCII (most cells).
    private static func width(_ text: String) -> Int {
        text.utf8.allSatisfy { $0 < 0x80 } ? text.utf8.count : text.count
    }

    /// The table of `rows` under `header`, for tables small enough to hold (status, inspect).
    static func render(header: [String], rows: [[String]]) -> String {
        var table = TextTable(header: header)
        for row in rows { table.measure(row) }
        var bytes = [UInt8]()
        for row in [header] + rows { table.appendLine(row, to: &bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
