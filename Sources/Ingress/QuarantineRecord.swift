import Crypto
import LogFormat
import Payloads

/// Builds quarantine-log records: the payload as received (its first 64 KiB when over the size
/// limit) and the reason as a JSON object `{"code","path","message","source"[, "length","sha256"]}`.
public enum QuarantineRecord {
    public static let keptBytesMax = 64 << 10

    public static func make(
        payload: ArraySlice<UInt8>, rejection: PayloadError, source: String, producerUID: UInt32,
        idempotencyKey: String? = nil
    ) -> AppendRecord {
        var members: [(String, String)] = [
            ("code", JSONText.string(rejection.code.rawValue)), ("path", JSONText.string(rejection.path)),
            ("message", JSONText.string(rejection.message)), ("source", JSONText.string(source)),
        ]
        var kept = Array(payload)
        if rejection.code == .tooLarge {
            members.append(("length", String(payload.count)))
            members.append(("sha256", JSONText.string(sha256Hex(kept))))
            kept = Array(payload.prefix(keptBytesMax))
        }
        return AppendRecord(
            version: 0, producerUID: producerUID, idempotencyKey: idempotencyKey,
            rejectReason: JSONText.object(members), payload: kept)
    }

    /// An oversized payload that was streamed rather than held: its kept prefix, length and digest.
    public static func oversized(
        prefix: [UInt8], length: Int, sha256: String, rejection: PayloadError, source: String, producerUID: UInt32,
        idempotencyKey: String? = nil
    ) -> AppendRecord {
        let members: [(String, String)] = [
            ("code", JSONText.string(rejection.code.rawValue)), ("path", JSONText.string(rejection.path)),
            ("message", JSONText.string(rejection.message)), ("source", JSONText.string(source)),
            ("length", String(length)), ("sha256", JSONText.string(sha256)),
        ]
        return AppendRecord(
            version: 0, producerUID: producerUID, idempotencyKey: idempotencyKey, rejectReason: JSONText.object(members),
            payload: Array(prefix.prefix(keptBytesMax)))
    }

    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        sha256(bytes).map { hexByte($0) }.joined()
    }

    static func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }

    static func hexByte(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }
}
