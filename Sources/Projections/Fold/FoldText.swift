/// SPEC §4.1's rule for strings the fold reads: trimmed of Unicode White_Space, and absent when
/// nothing is left (so a blank never wins a "first non-null").
enum FoldText {
    static func clean(_ value: String?) -> String? {
        guard let value else { return nil }
        let scalars = value.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return nil }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        if first == scalars.startIndex && last == scalars.index(before: scalars.endIndex) { return value }
        return String(scalars[first...last])
    }
}
