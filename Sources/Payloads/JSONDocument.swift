/// A parsed JSON text: a flat, pre-order array of nodes that point into the input bytes.
/// An object's children alternate key, value; `next` skips a whole subtree.
///
/// Produced by `JSONParser`, which guarantees I-JSON (RFC 7493): valid UTF-8, no duplicate member
/// names, no lone surrogates, finite numbers. Not thread-safe to mutate; immutable once parsed.
public struct JSONDocument: Sendable {
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

    /// Children of an array, in order.
    func elements(_ array: Int) -> [Int] {
        var result = [Int]()
        result.reserveCapacity(count(array))
        var child = array + 1
        for _ in 0..<count(array) {
            result.append(child)
            child = Int(nodes[child].next)
        }
        return result
    }

    /// Calls `body(key, valueNode)` for each member of an object, in order.
    func forEachMember(_ object: Int, _ body: (String, Int) throws(PayloadError) -> Void) throws(PayloadError) {
        var child = object + 1
        for _ in 0..<count(object) {
            let value = Int(nodes[child].next)
            try body(string(child), value)
            child = Int(nodes[value].next)
        }
    }

    /// The decoded value of a string node.
    func string(_ node: Int) -> String {
        let n = nodes[node]
        let range = Int(n.start)..<Int(n.start + n.length)
        if !n.flag { return String(decoding: bytes[range], as: UTF8.self) }
        return String(decoding: JSONParser.unescape(bytes[range]), as: UTF8.self)
    }

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
