/// A batch body ready to be sealed: its records laid out (and LZ4-compressed when that helps),
/// independent of where the batch will land — offsets and received_at are stored relative to the
/// header, so bodies can be built on any thread before the writer orders them.
public struct EncodedBody: Sendable {
    public var stored: [UInt8]
    public var codec: BatchCodec
    public var rawLength: Int
    public var recordCount: Int
}

/// Lays out records into batch bodies (docs/log-format.md, "Record").
///
/// Not thread-safe: one encoder per thread. Its buffers are reused across bodies.
public struct BatchBodyEncoder: Sendable {
    private var raw: [UInt8] = []
    private var compressionScratch: [UInt8] = []
    private var recordCount = 0

    public init(reservingBytes: Int = 1 << 20) {
        raw.reserveCapacity(reservingBytes)
    }

    /// Raw (uncompressed) body bytes so far.
    public var rawSize: Int { raw.count }
    public var count: Int { recordCount }
    public var isEmpty: Bool { recordCount == 0 }

    /// Lays out `record` as the body's next record (received_at delta 0: the batch's time).
    public mutating func add(_ record: AppendRecord) {
        let keyLength = record.idempotencyKey?.utf8.count ?? 0
        let reasonLength = record.rejectReason?.utf8.count ?? 0
        precondition(keyLength <= RecordLayout.keyBytesMax, "idempotency key of \(keyLength) bytes exceeds the u16 field")
        let length = RecordLayout.headerSize - 4 + keyLength + reasonLength + record.payload.count
        precondition(raw.count + 4 + length <= BatchHeader.rawBytesMax, "batch body would exceed \(BatchHeader.rawBytesMax) bytes")
        let start = raw.count
        raw.append(contentsOf: Self.zeroRecordHeader)
        raw.withUnsafeMutableBytes { bytes in
            bytes.storeBytes(of: UInt32(length).littleEndian, toByteOffset: start, as: UInt32.self)
            bytes.storeBytes(of: UInt32(recordCount).littleEndian, toByteOffset: start + 4, as: UInt32.self)
            // start + 8: received_at delta (0), start + 17: reserved (0)
            bytes[start + 16] = record.version
            bytes.storeBytes(of: UInt16(keyLength).littleEndian, toByteOffset: start + 18, as: UInt16.self)
            bytes.storeBytes(of: record.producerUID.littleEndian, toByteOffset: start + 20, as: UInt32.self)
            bytes.storeBytes(of: UInt32(reasonLength).littleEndian, toByteOffset: start + 24, as: UInt32.self)
            bytes.storeBytes(of: UInt32(record.payload.count).littleEndian, toByteOffset: start + 28, as: UInt32.self)
        }
        if let key = record.idempotencyKey { raw.append(contentsOf: key.utf8) }
        if let reason = record.rejectReason { raw.append(contentsOf: reason.utf8) }
        raw.append(contentsOf: record.payload)
        recordCount += 1
    }

    /// The finished body (compressed when LZ4 makes it smaller); resets the encoder.
    public mutating func finish() -> EncodedBody {
        precondition(recordCount > 0, "an empty batch cannot be written")
        var stored = [UInt8]()
        let compressed = raw.withUnsafeBytes { LZ4Block.compress($0, scratch: &compressionScratch, appendingTo: &stored) }
        let body = EncodedBody(
            stored: compressed == nil ? raw : stored, codec: compressed == nil ? .none : .lz4, rawLength: raw.count,
            recordCount: recordCount)
        raw.removeAll(keepingCapacity: true)
        recordCount = 0
        return body
    }

    /// Encodes `records` into bodies of at most `bodyBytesMax` raw bytes each (at least one record each).
    public static func bodies(_ records: [AppendRecord], bodyBytesMax: Int) -> [EncodedBody] {
        var encoder = BatchBodyEncoder(reservingBytes: min(bodyBytesMax, 1 << 20) + 4096)
        var bodies = [EncodedBody]()
        for record in records {
            if !encoder.isEmpty && encoder.rawSize + record.encodedSize > bodyBytesMax { bodies.append(encoder.finish()) }
            encoder.add(record)
        }
        if !encoder.isEmpty { bodies.append(encoder.finish()) }
        return bodies
    }

    private static let zeroRecordHeader = [UInt8](repeating: 0, count: RecordLayout.headerSize)
}

extension BatchHeader {
    /// Seals `body` as the batch at `baseOffset` received at `receivedAtMs`, chained to
    /// `previousHash`: appends header and body to `output` and returns the header and the batch's
    /// hash, which the next batch must name as its predecessor.
    public static func seal(
        _ body: EncodedBody, baseOffset: LogOffset, receivedAtMs: Int64, previousHash: BatchHash,
        appendingTo output: inout [UInt8]
    ) -> (header: BatchHeader, hash: BatchHash) {
        let start = output.count
        var header = BatchHeader(
            crc: 0, storedLength: body.stored.count, rawLength: body.rawLength, baseOffset: baseOffset,
            recordCount: body.recordCount, codec: body.codec, firstReceivedAtMs: receivedAtMs,
            lastReceivedAtMs: receivedAtMs, previousHash: previousHash)
        output.append(contentsOf: zeroHeader)
        header.store(into: &output, at: start)
        output.append(contentsOf: body.stored)
        header.crc = output.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + crcCoverageStart)...]))
        }
        output.storeLittleEndian(header.crc, at: start + 4)
        let hash = output.withUnsafeBytes { BatchHash.of(storedBatch: UnsafeRawBufferPointer(rebasing: $0[start...])) }
        return (header, hash)
    }

    private static let zeroHeader = [UInt8](repeating: 0, count: size)
}
