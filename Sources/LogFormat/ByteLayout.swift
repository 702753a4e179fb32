// Little-endian field access shared by every on-disk structure (docs/log-format.md, "Conventions").

extension Array where Element == UInt8 {
    @inlinable public mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    @inlinable mutating func storeLittleEndian<T: FixedWidthInteger>(_ value: T, at index: Int) {
        precondition(index >= 0 && index + MemoryLayout<T>.size <= count, "store at \(index) past \(count) bytes")
        withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: index, as: T.self) }
    }
}

extension UnsafeRawBufferPointer {
    @inlinable public func littleEndian<T: FixedWidthInteger>(at index: Int, as type: T.Type = T.self) -> T {
        precondition(index >= 0 && index + MemoryLayout<T>.size <= count, "load at \(index) past \(count) bytes")
        return T(littleEndian: loadUnaligned(fromByteOffset: index, as: T.self))
    }
}

extension Array where Element == UInt8 {
    /// Runs a typed-throwing decoder over `self[range]` (`withUnsafeBytes` alone would erase the
    /// error type).
    public func decoding<R>(
        _ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws(FormatError) -> R
    ) throws(FormatError) -> R {
        let result = withUnsafeBytes { raw in
            Result { () throws(FormatError) -> R in try body(UnsafeRawBufferPointer(rebasing: raw[range])) }
        }
        return try result.get()
    }
}
