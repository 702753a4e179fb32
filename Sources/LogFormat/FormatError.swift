/// Bytes that do not follow `docs/log-format.md`: a data error, never an I/O error.
///
/// `position` is relative to the start of the structure that was being decoded (a segment
/// header, a batch, an index file); `LogStore` adds the segment and absolute byte position.
public struct FormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong, stable for programs to match on.
    public enum Code: String, Sendable {
        case badMagic = "bad_magic"
        case unsupportedVersion = "unsupported_version"
        case checksumMismatch = "checksum_mismatch"
        case badLength = "bad_length"
        case truncated = "truncated"
        case badCodec = "bad_codec"
        case decompressionFailed = "decompression_failed"
        case badRecord = "bad_record"
        case badSequence = "bad_sequence"
        case hashChainBroken = "hash_chain_broken"
    }

    public var code: Code
    public var message: String
    /// Byte position of the problem, relative to the structure being decoded.
    public var position: Int

    public init(_ code: Code, _ message: String, at position: Int = 0) {
        self.code = code
        self.message = message
        self.position = position
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
