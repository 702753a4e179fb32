import CLZ4

/// The LZ4 block format (liblz4's `LZ4_compress_default` / `LZ4_decompress_safe`), which batch
/// bodies use when it makes them smaller (codec 1 in docs/log-format.md).
public enum LZ4Block {
    /// Largest input liblz4 accepts.
    public static let inputBytesMax = Int(LZ4_MAX_INPUT_SIZE)

    /// Compresses `source` into `scratch` (grown as needed, reused across calls) and appends the
    /// result to `destination`; returns the compressed size, or nil when compression would not make
    /// the bytes smaller (the caller stores them raw).
    public static func compress(
        _ source: UnsafeRawBufferPointer, scratch: inout [UInt8], appendingTo destination: inout [UInt8]
    ) -> Int? {
        precondition(source.count <= inputBytesMax, "LZ4 input of \(source.count) bytes exceeds \(inputBytesMax)")
        guard source.count > 0 else { return nil }
        let bound = Int(LZ4_compressBound(Int32(source.count)))
        if scratch.count < bound { scratch = [UInt8](repeating: 0, count: bound) }
        let written = Int(
            scratch.withUnsafeMutableBytes { out -> Int32 in
                LZ4_compress_default(
                    source.baseAddress!.assumingMemoryBound(to: CChar.self),
                    out.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(source.count), Int32(bound))
            })
        guard written > 0, written < source.count else { return nil }
        destination.append(contentsOf: scratch[0..<written])
        return written
    }

    /// Decompresses exactly `rawLength` bytes from `source` into `destination` (replacing its contents).
    public static func decompress(
        _ source: UnsafeRawBufferPointer, rawLength: Int, into destination: inout [UInt8]
    ) throws(FormatError) {
        if destination.count != rawLength {
            destination = [UInt8](repeating: 0, count: rawLength)
        }
        let produced = destination.withUnsafeMutableBytes { out -> Int32 in
            guard let src = source.baseAddress, let dst = out.baseAddress else { return -1 }
            return LZ4_decompress_safe(
                src.assumingMemoryBound(to: CChar.self), dst.assumingMemoryBound(to: CChar.self),
                Int32(source.count), Int32(rawLength))
        }
        guard produced == Int32(rawLength) else {
            throw FormatError(
                .decompressionFailed,
                "LZ4 body of \(source.count) bytes did not decompress to the \(rawLength) bytes its header declares (got \(produced))")
        }
    }
}
