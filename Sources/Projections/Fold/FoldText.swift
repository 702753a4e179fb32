import Payloads

/// SPEC §4.1's rule for strings the fold reads: trimmed of Unicode White_Space, and absent when
/// nothing is left (so a blank never wins a "first non-null").
enum FoldText {
    static func clean(_ value: String?) -> String? {
        guard let value else { return nil }
        // Fast path: most values start and end with a printable ASCII character.
        let utf8 = value.utf8
        if let first = utf8.first, let last = utf8.last, isPrintableASCII(first), isPrintableASCII(last) { return value }
        if utf8.isEmpty { return nil }
        let scalars = value.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return nil }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        if first == scalars.startIndex && last == scalars.index(before: scalars.endIndex) { return value }
        return String(scalars[first...last])
    }

    /// `clean` of a payload's text. `kept` is what an earlier call returned for the same field:
    /// when the text has exactly its bytes, cleaning would give it back (cleaning is
    /// idempotent), so it is returned and no `String` is built — cumulative V3 payloads re-send
    /// unchanged pages.
    static func clean(_ text: PayloadText?, keeping kept: String? = nil) -> String? {
        guard let text else { return nil }
        if let kept, text.withUTF8({ (bytes) in kept.utf8.withContiguousStorageIfAvailable { $0.elementsEqual(bytes) } ?? false }) {
            return kept
        }
        return clean(text.string)
    }

    private static func isPrintableASCII(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7F }
}
