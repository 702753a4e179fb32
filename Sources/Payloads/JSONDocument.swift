import Foundation

/// A parsed JSON text in simdjson's tape format (simdjson's doc/tape.md), whichever parser
/// produced it: a node is a tape index, containers know where their subtree ends, and every
/// string (member names too) is already unescaped in `strings`.
///
/// Produced by `JSONParser`, which guarantees I-JSON (RFC 7493): valid UTF-8, no duplicate member
/// names, no lone surrogates, finite numbers. Immutable once parsed.
public struct JSONDocument: Sendable {
    /// The JSON type of a node.
    public enum Kind: UInt8, Sendable {
        case null, bool, number, string, array, object

        var name: String {
            switch self {
            case .null: "null"
            case .bool: "a boolean"
            case .number: "a number"
            case .string: "a string"
            case .array: "an array"
            case .object: "an object"
            }
        }
    }

    /// Tape words: a type character in the top byte, a payload in the low 56 bits. Word 0 is the
    /// root (payload: the tape's length), the last word closes it. `{`/`[`: bits 0–31 the index
    /// after the matching close, bits 32–55 the member/element count; `"`: bits 0–47 the string's
    /// offset in `strings` and, on a member name, bits 48–55 its `Member`'s raw value + 1 (0 when
    /// no schema reads it; see `MemberTable.resolve`); `l`/`u`/`d`: the next word is an
    /// Int64/UInt64/Double; `t`/`f`/`n`: literals.
    let tape: [UInt64]
    /// Each string as a 32-bit little-endian length, its UTF-8 bytes and a NUL.
    let strings: [UInt8]

    static let payloadMask: UInt64 = 0x00FF_FFFF_FFFF_FFFF
    /// A string word's offset bits; a member name's word has its `Member` above them.
    static let offsetMask: UInt64 = 0x0000_FFFF_FFFF_FFFF
    static let memberShift: UInt64 = 48
    /// Container counts saturate here, as in simdjson (far above any body limit).
    static let countMax = 0xFF_FFFF

    init(tape: [UInt64], strings: [UInt8]) {
        self.tape = tape
        self.strings = strings
    }

    /// A copy of a borrowed tape and its strings.
    init(copying source: JSONTape) {
        self.init(tape: Array(source.words), strings: Array(source.strings))
    }

    /// Calls `body` with the document's tape and strings borrowed for reading.
    func withTape<R, E: Error>(_ body: (JSONTape) throws(E) -> R) throws(E) -> R {
        try tape.withUnsafeBufferPointer { (tape) throws(E) in
            try strings.withUnsafeBufferPointer { (strings) throws(E) in try body(JSONTape(words: tape, strings: strings)) }
        }
    }

    @inline(__always) static func tag(_ word: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: word >> 56) }

    @inline(__always) static func kind(_ word: UInt64) -> Kind {
        switch tag(word) {
        case UInt8(ascii: "\""): .string
        case UInt8(ascii: "l"), UInt8(ascii: "u"), UInt8(ascii: "d"): .number
        case UInt8(ascii: "{"): .object
        case UInt8(ascii: "["): .array
        case UInt8(ascii: "t"), UInt8(ascii: "f"): .bool
        default: .null
        }
    }

    @inline(__always) static func next(_ word: UInt64, _ node: Int) -> Int {
        switch tag(word) {
        case UInt8(ascii: "{"), UInt8(ascii: "["): Int(truncatingIfNeeded: word & 0xFFFF_FFFF)
        case UInt8(ascii: "l"), UInt8(ascii: "u"), UInt8(ascii: "d"): node + 2
        default: node + 1
        }
    }

    @inline(__always) static func stringRange(_ word: UInt64, _ strings: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        let offset = Int(truncatingIfNeeded: word & offsetMask)
        let length = UnsafeRawPointer(strings.baseAddress! + offset).loadUnaligned(as: UInt32.self).littleEndian
        return offset + 4..<offset + 4 + Int(length)
    }

    @inline(__always) static func stringRange(_ word: UInt64, _ strings: [UInt8]) -> Range<Int> {
        strings.withUnsafeBufferPointer { stringRange(word, $0) }
    }
}

extension JSONDocument: Equatable {
    /// The same JSON value: the same structure and member order, decoded strings and numbers (as
    /// doubles, bit for bit: one parser's integer words equal the other's doubles), whichever
    /// parser produced each.
    public static func == (a: JSONDocument, b: JSONDocument) -> Bool {
        a.withTape { x in b.withTape { y in x == y } }
    }
}

/// A `JSONDocument`'s tape and strings, borrowed: typed reads of its nodes (tape indices)
/// without reference counting. Valid only inside `JSONDocument.withTape`.
struct JSONTape {
    let words: UnsafeBufferPointer<UInt64>
    /// Exactly the strings the tape uses (so `PayloadText` storage can be a copy of it).
    let strings: UnsafeBufferPointer<UInt8>

    /// The root value's node.
    var root: Int { 1 }

    @inline(__always) func kind(_ node: Int) -> JSONDocument.Kind { JSONDocument.kind(words[node]) }

    /// A number node's value as a double (integers convert with correct rounding, as strtod would).
    @inline(__always) func number(_ node: Int) -> Double {
        switch JSONDocument.tag(words[node]) {
        case UInt8(ascii: "l"): Double(Int64(bitPattern: words[node + 1]))
        case UInt8(ascii: "u"): Double(words[node + 1])
        default: Double(bitPattern: words[node + 1])
        }
    }

    /// Whether a number node was written as an integer word (`l` or `u`).
    @inline(__always) func isInteger(_ node: Int) -> Bool {
        let tag = JSONDocument.tag(words[node])
        return tag == UInt8(ascii: "l") || tag == UInt8(ascii: "u")
    }

    func bool(_ node: Int) -> Bool { JSONDocument.tag(words[node]) == UInt8(ascii: "t") }

    /// Members of an object node, elements of an array node.
    func count(_ node: Int) -> Int { Int(truncatingIfNeeded: (words[node] & JSONDocument.payloadMask) >> 32) }

    /// The first node after `node`'s subtree.
    @inline(__always) func next(_ node: Int) -> Int { JSONDocument.next(words[node], node) }

    /// The name nodes of an object node's members, in order (each value node is the name's + 1).
    @inline(__always) func memberKeys(of object: Int) -> MemberKeys { MemberKeys(tape: self, key: object + 1, remaining: count(object)) }

    struct MemberKeys: Sequence, IteratorProtocol {
        let tape: JSONTape
        var key: Int
        var remaining: Int

        @inline(__always) mutating func next() -> Int? {
            guard remaining > 0 else { return nil }
            defer {
                key = tape.next(key + 1)
                remaining -= 1
            }
            return key
        }
    }

    /// A string node's UTF-8 bytes.
    @inline(__always) func stringBytes(_ node: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: strings[JSONDocument.stringRange(words[node], strings)])
    }

    /// The decoded value of a string node.
    func string(_ node: Int) -> String { String(decoding: stringBytes(node), as: UTF8.self) }

    /// A string node's value as a text in `storage`, which must be a copy of `strings`.
    @inline(__always) func text(_ node: Int, in storage: [UInt8]) -> PayloadText {
        PayloadText(storage: storage, range: JSONDocument.stringRange(words[node], strings))
    }

    /// Whether a string node's value is `text`, compared as UTF-8 without building a `String`.
    @inline(__always) func string(_ node: Int, equals text: StaticString) -> Bool {
        string(node, equalsUTF8: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// The one of `cases` whose raw value a string node holds, nil when none does. Callers pass
    /// a stored list: a synthesized `allCases` builds a new array on every call.
    func string<T: RawRepresentable>(_ node: Int, among cases: [T]) -> T? where T.RawValue == String {
        cases.first { (candidate) in
            var raw = candidate.rawValue
            return raw.withUTF8 { string(node, equalsUTF8: $0) }
        }
    }

    @inline(__always) private func string(_ node: Int, equalsUTF8 text: UnsafeBufferPointer<UInt8>) -> Bool {
        let bytes = stringBytes(node)
        return text.count == bytes.count && (bytes.isEmpty || memcmp(text.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
    }

    /// Unicode code points in a string node's value.
    func codePointCount(_ node: Int) -> Int {
        var count = 0
        for byte in stringBytes(node) where byte & 0xC0 != 0x80 { count += 1 }
        return count
    }

    static func == (a: JSONTape, b: JSONTape) -> Bool {
        guard a.words.count == b.words.count else { return false }
        var node = 0
        while node < a.words.count {
            switch (a.kind(node), b.kind(node)) {
            case (.number, .number):
                guard a.number(node).bitPattern == b.number(node).bitPattern else { return false }
                node += 1
            case (.string, .string):
                // The same bytes, and as a member name resolved to the same member.
                guard a.words[node] >> JSONDocument.memberShift == b.words[node] >> JSONDocument.memberShift,
                    a.stringBytes(node).elementsEqual(b.stringBytes(node))
                else { return false }
            default:
                guard a.words[node] == b.words[node] else { return false }
            }
            node += 1
        }
        return true
    }

    /// The `Member.id` a member name node was resolved to, 0 when no schema reads it.
    @inline(__always) func memberID(named node: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: words[node] >> JSONDocument.memberShift)
    }
}
