import Crypto
import LogFormat
import Payloads

/// Builds quarantine-log records: the payload as received (its first 64 KiB when over the size
/// limit) and the reason as a JSON object `{"code","path","message","source"[, "length","sha256"]}`.
enum QuarantineRecord {
    static let keptBytesMax = 64 << 10

    static func make(
        payload: ArraySlice<UInt8>, rejection: PayloadError, source: String, producerUID: UInt32,
        idempotencyKey: String? = nil
    ) -> AppendRecord {
        var members: [(String, String)] = [
            ("code", JSONText.string(rejection.code.rawValue)), ("path", JSONText.string(rejection.path)),
            ("message", JSONText.string(rejection.message)), ("source", JSONText.string(source)),
        ]
        var kept = Array(payload)
        if rejection.code == .tooLarge {
            let digest = SHA256.hash(data: kept)
            members.append(("length", String(payload.count)))
            members.append(("sha256", JSONText.string(digest.map { hexByte($0) }.joined())))
            kept = Array(payload.prefix(keptBytesMax))
        }
        return AppendRecord(
            version: 0, producerUID: producerUID, idempotencyKey: idempotencyKey,
            rejectReason: JSONText.object(members), payload: kept)
    }

    private static func hexByte(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }
}
