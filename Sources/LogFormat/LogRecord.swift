/// A record to append: everything but its offset and `received_at`, which the writer assigns.
public struct AppendRecord: Sendable, Equatable {
    /// Payload version: 1, 2 or 3 in the main log; 0 in the quarantine log.
    public var version: UInt8
    /// The producer's uid (SO_PEERCRED for the ingress, the running user for `import`).
    public var producerUID: UInt32
    public var idempotencyKey: String?
    /// Why the payload was quarantined (quarantine log only), as UTF-8 JSON text.
    public var rejectReason: String?
    /// The payload exactly as received.
    public var payload: [UInt8]

    public init(
        version: UInt8, producerUID: UInt32, idempotencyKey: String? = nil, rejectReason: String? = nil,
        payload: [UInt8]
    ) {
        self.version = version
        self.producerUID = producerUID
        self.idempotencyKey = idempotencyKey
        self.rejectReason = rejectReason
        self.payload = payload
    }

    /// Bytes this record takes in a batch body before compression.
    public var encodedSize: Int {
        RecordLayout.headerSize + (idempotencyKey?.utf8.count ?? 0) + (rejectReason?.utf8.count ?? 0) + payload.count
    }
}

/// A record read back from the log.
public struct LogRecord: Sendable, Equatable {
    public var offset: LogOffset
    /// Server clock in ms since the Unix epoch; non-decreasing in offset order.
    public var receivedAtMs: Int64
    public var version: UInt8
    public var producerUID: UInt32
    public var idempotencyKey: String?
    public var rejectReason: String?
    /// The payload bytes exactly as received (a slice of the decompressed batch).
    public var payload: ArraySlice<UInt8>

    public init(
        offset: LogOffset, receivedAtMs: Int64, version: UInt8, producerUID: UInt32, idempotencyKey: String?,
        rejectReason: String?, payload: ArraySlice<UInt8>
    ) {
        self.offset = offset
        self.receivedAtMs = receivedAtMs
        self.version = version
        self.producerUID = producerUID
        self.idempotencyKey = idempotencyKey
        self.rejectReason = rejectReason
        self.payload = payload
    }
}

/// The record layout inside a decompressed batch body (docs/log-format.md, "Record").
///
/// ```
/// 0   length          u32 bytes after this field = 28 + key_length + reason_length + payload_length
/// 4   offset_delta    u32 record offset − batch base_offset (= its index in the batch)
/// 8   received_at     i64 ms after the batch's first_received_at (≥ 0)
/// 16  version         u8
/// 17  reserved        u8 = 0
/// 18  key_length      u16 idempotency key bytes (0: none)
/// 20  producer_uid    u32
/// 24  reason_length   u32 reject reason bytes (0: none)
/// 28  payload_length  u32
/// 32  key, reason, payload
/// ```
public enum RecordLayout {
    public static let headerSize = 32
    /// Idempotency keys longer than this cannot be stored (u16 length field).
    public static let keyBytesMax = Int(UInt16.max)
}
