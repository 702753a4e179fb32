import CChecksum

/// CRC-32C (Castagnoli) over bytes, hardware-accelerated (SSE4.2) where the CPU allows.
/// Check value: `CRC32C.checksum("123456789")` is `0xE306_9283`.
public enum CRC32C {
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        return slog_crc32c(crc, base, bytes.count)
    }

    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        let array = Array(bytes)
        return array.withUnsafeBytes { checksum($0) }
    }

    /// Whether the SSE4.2 instruction is in use (reported by `inspect` and the benchmarks).
    public static var isHardwareAccelerated: Bool { slog_crc32c_is_hardware() != 0 }
}
