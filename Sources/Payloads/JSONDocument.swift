import Foundation

/// A parsed JSON text: a flat, pre-order array of nodes whose strings point into `bytes` (the
/// input, or simdjson's unescaped strings). An object's children alternate key, value; `next`
/// skips a whole subtree.
///
/// Produced by `JSONParser`, which guarantees I-JSON (RFC 7493): valid UTF-8, no duplicate member
/// names, no lone surrogates, finite numbers. Not thread-safe to mutate; immutable once parsed.
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

    struct Node: Sendable {
        var kind: Kind
        /// bool: its value; string: whether it holds escapes.
        var flag: Bool
        /// string: its first byte in `bytes`.
        var start: Int32
        /// string: its byte length in `bytes` (escaped when `flag`).
        var length: Int32
        /// array: elements; object: members.
        var count: Int32
        /// Index of the first node after this subtree.
        var next: Int32
        /// number: its value; unescaped string: its first 8 bytes (`prefix`) as a bit pattern.
        var number: Double
    }

    /// The text string nodes point into.
    let bytes: [UInt8]
    var nodes: [Node] = []

    init(bytes: [UInt8], nodes: [Node] = []) {
        self.bytes = bytes
        self.nodes = nodes
    }

    /// The root node.
    var root: Int { 0 }

    func kind(_ node: Int) -> Kind { nodes[node].kind }
    func number(_ node: Int) -> Double { nodes[node].number }
    func bool(_ node: Int) -> Bool { nodes[node].flag }
    func count(_ node: Int) -> Int { Int(nodes[node].count) }

    /// The value node of `object`'s member named by the `length` bytes at `name` (whose `prefix`
    /// is given), nil when absent: a scan comparing names by length and first 8 bytes (kept in
    /// each unescaped name node's `number`), then in full only past 8 bytes.
    func member(of object: Int, name: UnsafePointer<UInt8>, length: Int, prefix: UInt64) -> Int? {
        var key = object + 1
        for _ in 0..<nodes[object].count {
            if isName(key, name, length, prefix) { return key + 1 }
            key = Int(nodes[key + 1].next)
        }
        return nil
    }

    /// Whether member name node `key` is the `length` bytes at `name`.
    @inline(__always) func isName(_ key: Int, _ name: UnsafePointer<UInt8>, _ length: Int, _ prefix: UInt64) -> Bool {
        let n = nodes[key]
        if n.flag { return stringBytes(key).elementsEqual(UnsafeBufferPointer(start: name, count: length)) }
        guard Int(n.length) == length && n.number.bitPattern == prefix else { return false }
        return length <= 8 || bytes.withUnsafeBufferPointer { memcmp($0.baseAddress! + Int(n.start), name, length) == 0 }
    }

    /// The slot of a name of `length` bytes starting with `prefix` among 64 (its 6-bit hash).
    @inline(__always) static func slot(_ prefix: UInt64, _ length: Int) -> Int {
        Int(truncatingIfNeeded: ((prefix &+ UInt64(length)) &* 0x9E37_79B9_7F4A_7C15) >> 58)
    }

    /// The first `min(8, length)` bytes as a little-endian word (zero-padded).
    @inline(__always) static func prefix(_ p: UnsafePointer<UInt8>, _ length: Int) -> UInt64 {
        if length >= 8 { return UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self)) }
        var word: UInt64 = 0
        for i in 0..<length { word |= UInt64(p[i]) << (8 * UInt64(i)) }
        return word
    }

    /// The decoded value of a string node.
    func string(_ node: Int) -> String {
        let n = nodes[node]
        let range = Int(n.start)..<Int(n.start + n.length)
        if !n.flag { return String(decoding: bytes[range], as: UTF8.self) }
        return String(decoding: JSONParser.unescape(bytes[range]), as: UTF8.self)
    }

    /// Bytes of a string node's raw (escaped) text: an upper bound of its code point count.
    func rawLength(_ node: Int) -> Int { Int(nodes[node].length) }

    /// Unicode code points in a string node's decoded value.
    func codePointCount(_ node: Int) -> Int {
        let n = nodes[node]
        if n.flag { return string(node).unicodeScalars.count }
        var count = 0
        for byte in bytes[Int(n.start)..<Int(n.start + n.length)] where byte & 0xC0 != 0x80 { count += 1 }
        return count
    }

    /// The raw bytes of a string node's decoded value, without allocating a String when unescaped.
    func stringBytes(_ node: Int) -> ArraySlice<UInt8> {
        let n = nodes[node]
        let range = Int(n.start)..<Int(n.start + n.length)
        return n.flag ? ArraySlice(JSONParser.unescape(bytes[range])) : bytes[range]
    }
}

/// One object's member names hashed into 32 slots (open addressing), so the validator finds a
/// member in one or two probes instead of scanning every name. Objects with more than 24 members,
/// escaped names or over 65,535 nodes are not indexed: their lookups scan
/// (`JSONDocument.member(of:…)`). 64 bytes, so readers stay cheap to copy.
struct MemberIndex {
    static let membersMax = 24
    let object: Int
    /// Per slot, the name node's distance from the object node; 0 is empty.
    private var slots = InlineArray<32, UInt16>(repeating: 0)
    private var isIndexed = false

    init(_ document: JSONDocument, _ object: Int) {
        self.object = object
        let count = Int(document.nodes[object].count)
        guard count <= Self.membersMax, Int(document.nodes[object].next) - object <= Int(UInt16.max) else { return }
        var key = object + 1
        for _ in 0..<count {
            let n = document.nodes[key]
            guard !n.flag else { return }
            var slot = JSONDocument.slot(n.number.bitPattern, Int(n.length)) & 31
            while slots[slot] != 0 { slot = (slot + 1) & 31 }
            slots[slot] = UInt16(key - object)
            key = Int(document.nodes[key + 1].next)
        }
        isIndexed = true
    }

    /// The value node of the member named by the `length` bytes at `name`, nil when absent.
    func member(in document: JSONDocument, name: UnsafePointer<UInt8>, length: Int) -> Int? {
        let prefix = JSONDocument.prefix(name, length)
        guard isIndexed else { return document.member(of: object, name: name, length: length, prefix: prefix) }
        var slot = JSONDocument.slot(prefix, length) & 31
        while slots[slot] != 0 {
            let key = object + Int(slots[slot])
            if document.isName(key, name, length, prefix) { return key + 1 }
            slot = (slot + 1) & 31
        }
        return nil
    }
}

extension JSONDocument: Equatable {
    /// The same JSON value: node for node the same kinds, member order, decoded strings and
    /// numbers (bit for bit), whichever parser produced each.
    public static func == (a: JSONDocument, b: JSONDocument) -> Bool {
        guard a.nodes.count == b.nodes.count else { return false }
        for i in a.nodes.indices {
            let (x, y) = (a.nodes[i], b.nodes[i])
            guard x.kind == y.kind, x.count == y.count, x.next == y.next else { return false }
            switch x.kind {
            case .bool: guard x.flag == y.flag else { return false }
            case .number: guard x.number.bitPattern == y.number.bitPattern else { return false }
            case .string: guard a.stringBytes(i) == b.stringBytes(i) else { return false }
            case .null, .array, .object: break
            }
        }
        return true
    }
}
