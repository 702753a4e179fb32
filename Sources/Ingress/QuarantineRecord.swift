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
        guard rejection.code == .tooLarge else {
            return record(Array(payload), rejection, source: source, oversized: nil, producerUID: producerUID, idempotencyKey: idempotencyKey)
        }
        return oversized(
            prefix: Array(payload.prefix(keptBytesMax)), length: payload.count, sha256: Hex.sha256(Array(payload)),
            rejection: rejection, source: source, producerUID: producerUID, idempotencyKey: idempotencyKey)
    }

    /// An oversized payload that was streamed rather than held: its kept prefix, length and digest.
    public static func oversized(
        prefix: [UInt8], length: Int, sha256: String, rejection: PayloadError, source: String, producerUID: UInt32,
        idempotencyKey: String? = nil
    ) -> AppendRecord {
        record(
            Array(prefix.prefix(keptBytesMax)), rejection, source: source, oversized: (length, sha256), producerUID: producerUID,
            idempotencyKey: idempotencyKey)
    }

    private static func record(
        _ kept: [UInt8], _ rejection: PayloadError, source: String, oversized: (length: Int, sha256: String)?,
        producerUID: UInt32, idempotencyKey: String?
    ) -> AppendRecord {
        var members: [(String, String)] = [
            ("code", JSONText.string(rejection.code.rawValue)), ("path", JSONText.string(rejection.path)),
            ("message", JSONText.string(rejection.message)), ("source", JSONText.string(source)),
        ]
        if let oversized {
            members += [("length", String(oversized.length)), ("sha256", JSONText.string(oversized.sha256))]
        }
        return AppendRecord(
            version: 0, producerUID: producerUID, idempotencyKey: idempotencyKey, rejectReason: JSONText.object(members),
            payload: kept)
    }
}
