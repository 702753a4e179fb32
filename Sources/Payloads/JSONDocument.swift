import Foundation

/// A parsed JSON text: a flat, pre-order array of nodes that point into the input bytes.
/// An object's children alternate key, value; `next` skips a whole subtree.
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
        /// string: first byte after the opening quote; number: first byte of the literal.
        var start: Int32
        /// string: raw (escaped) byte length between the quotes.
        var length: Int32
        /// array: elements; object: members.
        var count: Int32
        /// Index of the first node after this subtree.
        var next: Int32
        var number: Double
    }

    let bytes: [UInt8]
    var nodes: [Node] = []

    /// The root node.
    var root: Int { 0 }

    func kind(_ node: Int) -> Kind { nodes[node].kind }
    func number(_ node: Int) -> Double { nodes[node].number }
    func bool(_ node: Int) -> Bool { nodes[node].flag }
    func count(_ node: Int) -> Int { Int(nodes[node].count) }

    /// One member of an object, keyed for fast comparison: its name's byte length and first
    /// (up to) 8 bytes, then the full name only when both match.
    struct MemberKey {
        var length: Int32
        var prefix: UInt64
        var nameStart: Int32
        var value: Int32
    }

    /// The members of an object as `MemberKey`s (escaped names are decoded into `decodedNames`).
    func memberKeys(_ object: Int) -> (keys: [MemberKey], decodedNames: [UInt8]) {
        bytes.withUnsafeBufferPointer { memberKeys(object, base: $0) }
    }

    private func memberKeys(_ object: Int, base: UnsafeBufferPointer<UInt8>) -> (keys: [MemberKey], decodedNames: [UInt8]) {
        var keys = [MemberKey]()
        keys.reserveCapacity(count(object))
        var decoded = [UInt8]()
        do {
            var key = object + 1
            for _ in 0..<nodes[object].count {
                let node = nodes[key]
                let value = nodes[key].next
                if node.flag {
                    let name = JSONParser.unescape(bytes[Int(node.start)..<Int(node.start + node.length)])
                    keys.append(MemberKey(length: Int32(name.count), prefix: Self.prefix(name), nameStart: -1 - Int32(decoded.count), value: value))
                    decoded += name
                } else {
                    keys.append(MemberKey(length: node.length, prefix: Self.prefix(base.baseAddress! + Int(node.start), Int(node.length)), nameStart: node.start, value: value))
                }
                key = Int(nodes[Int(value)].next)
            }
        }
        return (keys, decoded)
    }

    /// The first `min(8, length)` bytes as a little-endian word (zero-padded).
    @inline(__always) static func prefix(_ p: UnsafePointer<UInt8>, _ length: Int) -> UInt64 {
        if length >= 8 { return UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self)) }
        var word: UInt64 = 0
        for i in 0..<length { word |= UInt64(p[i]) << (8 * UInt64(i)) }
        return word
    }

    static func prefix(_ name: [UInt8]) -> UInt64 { name.withUnsafeBufferPointer { prefix($0.baseAddress!, $0.count) } }

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
