/// Layout of the sparse index files beside each segment (docs/log-format.md, "Indexes").
///
/// Both files are a 16-byte header (magic, u16 version, 6 reserved zero bytes) followed by
/// 16-byte entries of two u64 fields, in increasing order of both fields:
/// - `NNN.index`: (batch base_offset, batch file position)
/// - `NNN.timeindex`: (batch first_received_at, batch base_offset)
/// An entry is written for a segment's first batch and then for the first batch that starts at
/// least `indexIntervalBytes` after the previous entry. Indexes are derived data: they are never
/// fsynced and are rebuilt from the segment when missing or inconsistent.
public enum IndexLayout {
    public static let headerSize = 16
    public static let entrySize = 16
    public static let version: UInt16 = 1
    public static let offsetIndexMagic: [UInt8] = Array("SLOGIDX\0".utf8)
    public static let timeIndexMagic: [UInt8] = Array("SLOGTIX\0".utf8)
    public static let defaultIntervalBytes = 4096

    public static func header(magic: [UInt8]) -> [UInt8] {
        var bytes = magic
        bytes.appendLittleEndian(version)
        bytes.append(contentsOf: repeatElement(0, count: 6))
        return bytes
    }

    public static func entry(_ key: UInt64, _ value: UInt64) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(entrySize)
        bytes.appendLittleEndian(key)
        bytes.appendLittleEndian(value)
        return bytes
    }

    /// Decodes an index file's entries; throws when its header or size is not the layout's.
    public static func decode(_ bytes: [UInt8], magic: [UInt8]) throws(FormatError) -> [(UInt64, UInt64)] {
        guard bytes.count >= headerSize, magic.elementsEqual(bytes[0..<8]) else {
            throw FormatError(.badMagic, "index header missing or not an index of this kind")
        }
        let fileVersion = bytes.withUnsafeBytes { $0.littleEndian(at: 8, as: UInt16.self) }
        guard fileVersion == version else {
            throw FormatError(.unsupportedVersion, "index version \(fileVersion)", at: 8)
        }
        guard (bytes.count - headerSize) % entrySize == 0 else {
            throw FormatError(.badLength, "index size \(bytes.count) is not header + whole entries")
        }
        return bytes.withUnsafeBytes { raw in
            stride(from: headerSize, to: raw.count, by: entrySize).map {
                (raw.littleEndian(at: $0, as: UInt64.self), raw.littleEndian(at: $0 + 8, as: UInt64.self))
            }
        }
    }
}
