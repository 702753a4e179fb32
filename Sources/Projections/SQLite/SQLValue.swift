/// One SQLite value as a projection writes or reads it.
public enum SQLValue: Sendable, Equatable, Hashable, CustomStringConvertible {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    public static func optional(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }
    public static func optional(_ value: Int64?) -> SQLValue { value.map { .integer($0) } ?? .null }
    public static func bool(_ value: Bool) -> SQLValue { .integer(value ? 1 : 0) }
    /// A number stored as INTEGER when it is integral (so `40` stays `40`), REAL otherwise.
    public static func number(_ value: Double?) -> SQLValue {
        guard let value else { return .null }
        if value.rounded(.towardZero) == value, abs(value) < 9.0e15 { return .integer(Int64(value)) }
        return .real(value)
    }

    /// SQL-literal-like text: `NULL`, numbers, the text itself (for dumps and messages).
    public var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let number): String(number)
        case .real(let number): String(number)
        case .text(let text): text
        }
    }
}
