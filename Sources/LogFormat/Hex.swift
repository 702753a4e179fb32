import Crypto

/// Lower-case hexadecimal text of bytes (digests, hash-chain heads, definition digests).
public enum Hex {
    public static func string(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// SHA-256 of `bytes` as 64 hexadecimal digits.
    public static func sha256(_ bytes: [UInt8]) -> String { string(SHA256.hash(data: bytes)) }
}
