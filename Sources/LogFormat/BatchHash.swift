import Crypto

/// A SHA-256 digest in the log's hash chain: the hash of one whole stored batch.
///
/// Every batch header carries its predecessor's `BatchHash` (all zeros for the log's first batch),
/// so the hash of the last batch, the log's *head*, commits to every byte before it.
public struct BatchHash: Hashable, Sendable, CustomStringConvertible {
    public static let size = 32
    /// The predecessor of the log's first batch.
    public static let zero = BatchHash(bytes: [UInt8](repeating: 0, count: size))

    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        precondition(bytes.count == Self.size, "a batch hash has 32 bytes, not \(bytes.count)")
        self.bytes = bytes
    }

    /// Parses 64 hexadecimal digits; nil for anything else.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == Self.size * 2 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(Self.size)
        for pair in stride(from: 0, to: digits.count, by: 2) {
            guard let high = Hex.digitValue(digits[pair]), let low = Hex.digitValue(digits[pair + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.bytes = bytes
    }

    /// SHA-256 of the stored batch bytes (header and body, exactly as on disk).
    public static func of(storedBatch: UnsafeRawBufferPointer) -> BatchHash {
        var hasher = SHA256()
        hasher.update(bufferPointer: storedBatch)
        return BatchHash(bytes: Array(hasher.finalize()))
    }

    public var hex: String { Hex.string(bytes) }

    public var description: String { hex }
}
