/// The 32-byte header at the start of every segment file (docs/log-format.md, "Segment header").
///
/// ```
/// 0   magic           8  "SLOGSEG\0"
/// 8   format_version  u16 = 1
/// 10  log_kind        u16 (0 main, 1 quarantine)
/// 12  base_offset     u64 (offset of the segment's first record; also the file name)
/// 20  created_at_ms   i64
/// 28  header_crc      u32 CRC-32C of bytes 0..<28
/// ```
public struct SegmentHeader: Equatable, Sendable {
    public static let size = 32
    public static let magic: [UInt8] = Array("SLOGSEG\0".utf8)
    public static let formatVersion: UInt16 = 1

    public var kind: LogKind
    public var baseOffset: LogOffset
    public var createdAtMs: Int64

    public init(kind: LogKind, baseOffset: LogOffset, createdAtMs: Int64) {
        self.kind = kind
        self.baseOffset = baseOffset
        self.createdAtMs = createdAtMs
    }

    public func encoded() -> [UInt8] {
        var bytes = Self.magic
        bytes.appendLittleEndian(Self.formatVersion)
        bytes.appendLittleEndian(kind.rawValue)
        bytes.appendLittleEndian(baseOffset.rawValue)
        bytes.appendLittleEndian(createdAtMs)
        let crc = bytes.withUnsafeBytes { CRC32C.checksum($0) }
        bytes.appendLittleEndian(crc)
        assert(bytes.count == Self.size, "segment header is \(bytes.count) bytes, layout says \(Self.size)")
        return bytes
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(FormatError) -> SegmentHeader {
        guard bytes.count >= size else {
            throw FormatError(.truncated, "segment header needs \(size) bytes, file has \(bytes.count)")
        }
        guard magic.elementsEqual(bytes[0..<8]) else {
            throw FormatError(.badMagic, "not a sessionlog segment (magic bytes differ)")
        }
        let stored: UInt32 = bytes.littleEndian(at: 28)
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<28]))
        guard stored == computed else {
            throw FormatError(.checksumMismatch, "segment header CRC \(hex32(stored)) != computed \(hex32(computed))", at: 28)
        }
        let version: UInt16 = bytes.littleEndian(at: 8)
        guard version == formatVersion else {
            throw FormatError(.unsupportedVersion, "segment format version \(version); this build reads version \(formatVersion)", at: 8)
        }
        guard let kind = LogKind(rawValue: bytes.littleEndian(at: 10)) else {
            throw FormatError(.badMagic, "unknown log kind \(bytes.littleEndian(at: 10, as: UInt16.self))", at: 10)
        }
        return SegmentHeader(
            kind: kind, baseOffset: LogOffset(bytes.littleEndian(at: 12)), createdAtMs: bytes.littleEndian(at: 20))
    }
}

func hex32(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}
