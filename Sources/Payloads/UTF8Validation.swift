/// UTF-8 validation (RFC 3629: no overlongs, no surrogates, at most U+10FFFF), with an 8-bytes-at-a-
/// time fast path for ASCII, which is nearly all of a JSON payload.
enum UTF8Validation {
    /// The index of the first byte of an invalid sequence, or nil when all of `bytes` is UTF-8.
    static func firstInvalidByte(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBytes { raw -> Int? in
            let count = raw.count
            var i = 0
            while i < count {
                if i + 8 <= count && raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                    i += 8
                    continue
                }
                let c = raw[i]
                if c < 0x80 {
                    i += 1
                    continue
                }
                func cont(_ k: Int) -> Bool { k < count && raw[k] & 0xC0 == 0x80 }
                switch c {
                case 0xC2...0xDF:
                    guard cont(i + 1) else { return i }
                    i += 2
                case 0xE0...0xEF:
                    guard cont(i + 1), cont(i + 2) else { return i }
                    let second = raw[i + 1]
                    if c == 0xE0 && second < 0xA0 { return i }  // overlong
                    if c == 0xED && second > 0x9F { return i }  // surrogate
                    i += 3
                case 0xF0...0xF4:
                    guard cont(i + 1), cont(i + 2), cont(i + 3) else { return i }
                    let second = raw[i + 1]
                    if c == 0xF0 && second < 0x90 { return i }  // overlong
                    if c == 0xF4 && second > 0x8F { return i }  // above U+10FFFF
                    i += 4
                default:
                    return i
                }
            }
            return nil
        }
    }
}
