/// A string member of a decoded payload, kept as its UTF-8 bytes (unescaped, valid: parsing
/// checked them) in one buffer the payload's texts share. Decoding therefore builds no `String`
/// and allocates once per payload however many texts it has; the ingress never reads them as
/// strings, a projector builds one (`string`) only where it keeps the value.
///
/// Equal and hashed by bytes, so two texts are equal exactly when their strings are.
public struct PayloadText: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    private let storage: [UInt8]
    private let start: UInt32
    private let count: UInt32

    /// The bytes `storage[range]`; `range` must lie inside `storage` and hold valid UTF-8.
    init(storage: [UInt8], range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= storage.count, "text range outside its storage")
        self.storage = storage
        start = UInt32(range.lowerBound)
        count = UInt32(range.count)
    }

    public init(_ string: String) {
        self.init(storage: Array(string.utf8), range: 0..<string.utf8.count)
    }

    public init(stringLiteral value: String) { self.init(value) }

    /// Calls `body` with the text's UTF-8 bytes, borrowed for the call.
    public func withUTF8<R, E: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        try storage.withUnsafeBufferPointer { (all) throws(E) in
            try body(UnsafeBufferPointer(rebasing: all[Int(start)..<Int(start + count)]))
        }
    }

    /// The text as a `String` (built on every call).
    public var string: String { withUTF8 { String(decoding: $0, as: UTF8.self) } }

    public var description: String { string }

    /// The first UTF-8 byte, nil when empty.
    public var firstByte: UInt8? { count == 0 ? nil : storage[Int(start)] }

    public static func == (a: PayloadText, b: PayloadText) -> Bool {
        a.count == b.count && a.withUTF8 { x in b.withUTF8 { y in x.elementsEqual(y) } }
    }

    public func hash(into hasher: inout Hasher) {
        withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
