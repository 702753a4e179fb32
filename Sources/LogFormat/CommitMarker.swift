/// The 32-byte `COMMIT` file beside the segments: how far the log is durable (docs/log-format.md,
/// "Commit marker").
///
/// The writer overwrites it after every group commit's fdatasync (it is not itself fsynced: after
/// a power loss it may lag, never lead, the durable data). Readers never read past it, so they see
/// only complete, synced batches.
/// ```
/// 0   magic           u32 0x4D434C53 ("SLCM" on disk)
/// 4   crc             u32 CRC-32C of bytes 8..<32
/// 8   segment_base    u64 base offset of the segment that holds the end
/// 16  end_position    u64 byte position just past the last committed batch in that segment
/// 24  next_offset     u64 offset the next record will get
/// ```
public struct CommitMarker: Equatable, Sendable {
    public static let size = 32
    public static let magic: UInt32 = 0x4D43_4C53
    public static let fileName = "COMMIT"

    public var segmentBase: LogOffset
    public var endPosition: FilePosition
    public var nextOffset: LogOffset

    public init(segmentBase: LogOffset, endPosition: FilePosition, nextOffset: LogOffset) {
        self.segmentBase = segmentBase
        self.endPosition = endPosition
        self.nextOffset = nextOffset
    }

    /// How far readers may read segment `base`: nil to its end (sealed before the marker's
    /// segment), `endPosition` for the marker's segment. Segments after it are not visible at all
    /// (`isVisible`): they were created by a roll that has not committed yet.
    public func readLimit(ofSegment base: LogOffset) -> FilePosition? {
        base == segmentBase ? endPosition : nil
    }

    public func isVisible(segment base: LogOffset) -> Bool { base <= segmentBase }

    public func encoded() -> [UInt8] {
        var body = [UInt8]()
        body.appendLittleEndian(segmentBase.rawValue)
        body.appendLittleEndian(UInt64(endPosition.rawValue))
        body.appendLittleEndian(nextOffset.rawValue)
        var bytes = [UInt8]()
        bytes.appendLittleEndian(Self.magic)
        bytes.appendLittleEndian(body.withUnsafeBytes { CRC32C.checksum($0) })
        bytes.append(contentsOf: body)
        return bytes
    }

    /// nil when the bytes are not a whole, intact marker (a reader then retries or falls back).
    public static func decode(_ bytes: [UInt8]) -> CommitMarker? {
        guard bytes.count == size else { return nil }
        return bytes.withUnsafeBytes { raw -> CommitMarker? in
            guard raw.littleEndian(at: 0, as: UInt32.self) == magic,
                raw.littleEndian(at: 4, as: UInt32.self) == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[8..<32]))
            else { return nil }
            return CommitMarker(
                segmentBase: LogOffset(raw.littleEndian(at: 8)),
                endPosition: FilePosition(Int64(raw.littleEndian(at: 16, as: UInt64.self))),
                nextOffset: LogOffset(raw.littleEndian(at: 24)))
        }
    }
}
