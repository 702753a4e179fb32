/// How a batch body is stored.
public enum BatchCodec: UInt16, Sendable {
    /// The body is the raw record bytes (used when LZ4 would not make them smaller).
    case none = 0
    /// The body is one LZ4 block of the raw record bytes.
    case lz4 = 1
}

/// The 80-byte header in front of every batch (docs/log-format.md, "Batch").
///
/// ```
/// 0   magic               u32 0x314C4253 ("SBL1" on disk)
/// 4   crc                 u32 CRC-32C of bytes 8 ..< 80 + stored_length
/// 8   stored_length       u32 body bytes on disk
/// 12  raw_length          u32 body bytes after decompression
/// 16  base_offset         u64 offset of the first record
/// 24  record_count        u32 ≥ 1
/// 28  codec               u16 0 none, 1 LZ4 block
/// 30  flags               u16 0
/// 32  first_received_at   i64 ms, received_at of the first record
/// 40  last_received_at    i64 ms, received_at of the last record (≥ first)
/// 48  previous_hash       32 bytes, SHA-256 of the whole previous batch (zeros for the first)
/// 80  body
/// ```
public struct BatchHeader: Equatable, Sendable {
    public static let size = 80
    public static let magic: UInt32 = 0x314C_4253
    /// Limits on a batch body, in either form; a header that declares more is corrupt.
    public static let rawBytesMax = 64 << 20
    public static let storedBytesMax = 64 << 20
    public static let crcCoverageStart = 8

    public var crc: UInt32
    public var storedLength: Int
    public var rawLength: Int
    public var baseOffset: LogOffset
    public var recordCount: Int
    public var codec: BatchCodec
    public var firstReceivedAtMs: Int64
    public var lastReceivedAtMs: Int64
    public var previousHash: BatchHash

    /// Offset after the batch's last record.
    public var nextOffset: LogOffset { baseOffset.advanced(by: recordCount) }
    public var lastOffset: LogOffset { LogOffset(baseOffset.rawValue + UInt64(recordCount) - 1) }
    /// Header plus stored body: the batch's footprint in the segment file.
    public var totalSize: Int { Self.size + storedLength }

    public init(
        crc: UInt32, storedLength: Int, rawLength: Int, baseOffset: LogOffset, recordCount: Int, codec: BatchCodec,
        firstReceivedAtMs: Int64, lastReceivedAtMs: Int64, previousHash: BatchHash
    ) {
        self.crc = crc
        self.storedLength = storedLength
        self.rawLength = rawLength
        self.baseOffset = baseOffset
        self.recordCount = recordCount
        self.codec = codec
        self.firstReceivedAtMs = firstReceivedAtMs
        self.lastReceivedAtMs = lastReceivedAtMs
        self.previousHash = previousHash
    }

    /// Writes the header (with `crc` as given) over `bytes[start ..< start + 80]`.
    func store(into bytes: inout [UInt8], at start: Int) {
        bytes.storeLittleEndian(Self.magic, at: start)
        bytes.storeLittleEndian(crc, at: start + 4)
        bytes.storeLittleEndian(UInt32(storedLength), at: start + 8)
        bytes.storeLittleEndian(UInt32(rawLength), at: start + 12)
        bytes.storeLittleEndian(baseOffset.rawValue, at: start + 16)
        bytes.storeLittleEndian(UInt32(recordCount), at: start + 24)
        bytes.storeLittleEndian(codec.rawValue, at: start + 28)
        bytes.storeLittleEndian(UInt16(0), at: start + 30)
        bytes.storeLittleEndian(firstReceivedAtMs, at: start + 32)
        bytes.storeLittleEndian(lastReceivedAtMs, at: start + 40)
        bytes.replaceSubrange(start + 48..<start + 80, with: previousHash.bytes)
    }

    /// Decodes and sanity-checks the 80 header bytes; it does not check the CRC (the body may not
    /// have been read yet): see `BatchDecoder.verifyChecksum`.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(FormatError) -> BatchHeader {
        guard bytes.count >= size else {
            throw FormatError(.truncated, "batch header needs \(size) bytes, \(bytes.count) remain")
        }
        let magicValue: UInt32 = bytes.littleEndian(at: 0)
        guard magicValue == magic else {
            throw FormatError(.badMagic, "batch magic \(hex32(magicValue)) is not \(hex32(magic))")
        }
        let storedLength = Int(bytes.littleEndian(at: 8, as: UInt32.self))
        let rawLength = Int(bytes.littleEndian(at: 12, as: UInt32.self))
        let recordCount = Int(bytes.littleEndian(at: 24, as: UInt32.self))
        guard storedLength <= storedBytesMax, rawLength <= rawBytesMax else {
            throw FormatError(.badLength, "batch declares \(storedLength) stored / \(rawLength) raw bytes, limit \(rawBytesMax)", at: 8)
        }
        guard recordCount >= 1, recordCount * RecordLayout.headerSize <= rawLength else {
            throw FormatError(.badLength, "batch declares \(recordCount) records in \(rawLength) raw bytes", at: 24)
        }
        guard let codec = BatchCodec(rawValue: bytes.littleEndian(at: 28)) else {
            throw FormatError(.badCodec, "unknown codec \(bytes.littleEndian(at: 28, as: UInt16.self))", at: 28)
        }
        guard codec != .none || storedLength == rawLength else {
            throw FormatError(.badLength, "uncompressed batch with stored \(storedLength) != raw \(rawLength) bytes", at: 8)
        }
        let first: Int64 = bytes.littleEndian(at: 32)
        let last: Int64 = bytes.littleEndian(at: 40)
        guard first <= last else {
            throw FormatError(.badSequence, "batch received_at runs backwards (\(first) > \(last))", at: 32)
        }
        return BatchHeader(
            crc: bytes.littleEndian(at: 4), storedLength: storedLength, rawLength: rawLength,
            baseOffset: LogOffset(bytes.littleEndian(at: 16)), recordCount: recordCount, codec: codec,
            firstReceivedAtMs: first, lastReceivedAtMs: last,
            previousHash: BatchHash(bytes: Array(bytes[48..<80])))
    }
}
