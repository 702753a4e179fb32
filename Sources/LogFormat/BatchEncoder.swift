/// Builds one batch at a time: records are laid out raw, then the body is LZ4-compressed,
/// checksummed and hashed into the chain.
///
/// Not thread-safe: one encoder per writer. Its buffers are reused across batches.
public struct BatchEncoder: Sendable {
    private var raw: [UInt8] = []
    private var compressionScratch: [UInt8] = []
    private var recordCount = 0
    private var firstReceivedAtMs: Int64 = 0
    private var lastReceivedAtMs: Int64 = 0

    private static let zeroHeader = [UInt8](repeating: 0, count: BatchHeader.size)

    public init(reservingBytes: Int = 1 << 20) {
        raw.reserveCapacity(reservingBytes)
    }

    /// Raw (uncompressed) body bytes so far.
    public var rawSize: Int { raw.count }
    public var count: Int { recordCount }
    public var isEmpty: Bool { recordCount == 0 }

    /// Lays out `record` as the batch's next record.
    public mutating func add(_ record: AppendRecord, receivedAtMs: Int64) {
        let key = record.idempotencyKey.map { Array($0.utf8) } ?? []
        let reason = record.rejectReason.map { Array($0.utf8) } ?? []
        precondition(key.count <= RecordLayout.keyBytesMax, "idempotency key of \(key.count) bytes exceeds the u16 field")
        precondition(recordCount == 0 || receivedAtMs >= lastReceivedAtMs, "received_at must not decrease within a batch")
        let length = RecordLayout.headerSize - 4 + key.count + reason.count + record.payload.count
        precondition(raw.count + 4 + length <= BatchHeader.rawBytesMax, "batch body would exceed \(BatchHeader.rawBytesMax) bytes")
        raw.appendLittleEndian(UInt32(length))
        raw.appendLittleEndian(UInt32(recordCount))
        raw.appendLittleEndian(receivedAtMs)
        raw.append(record.version)
        raw.append(0)
        raw.appendLittleEndian(UInt16(key.count))
        raw.appendLittleEndian(record.producerUID)
        raw.appendLittleEndian(UInt32(reason.count))
        raw.appendLittleEndian(UInt32(record.payload.count))
        raw.append(contentsOf: key)
        raw.append(contentsOf: reason)
        raw.append(contentsOf: record.payload)
        if recordCount == 0 { firstReceivedAtMs = receivedAtMs }
        lastReceivedAtMs = receivedAtMs
        recordCount += 1
    }

    /// Appends the finished batch (header and body) to `output` and resets the encoder.
    /// Returns the batch's header and its hash, which the next batch must name as its predecessor.
    public mutating func finish(
        baseOffset: LogOffset, previousHash: BatchHash, appendingTo output: inout [UInt8]
    ) -> (header: BatchHeader, hash: BatchHash) {
        precondition(recordCount > 0, "an empty batch cannot be written")
        let start = output.count
        output.append(contentsOf: Self.zeroHeader)
        let compressed = raw.withUnsafeBytes { LZ4Block.compress($0, scratch: &compressionScratch, appendingTo: &output) }
        if compressed == nil { output.append(contentsOf: raw) }
        var header = BatchHeader(
            crc: 0, storedLength: output.count - start - BatchHeader.size, rawLength: raw.count,
            baseOffset: baseOffset, recordCount: recordCount, codec: compressed == nil ? .none : .lz4,
            firstReceivedAtMs: firstReceivedAtMs, lastReceivedAtMs: lastReceivedAtMs, previousHash: previousHash)
        header.store(into: &output, at: start)
        header.crc = output.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + BatchHeader.crcCoverageStart)...]))
        }
        output.storeLittleEndian(header.crc, at: start + 4)
        let hash = output.withUnsafeBytes { BatchHash.of(storedBatch: UnsafeRawBufferPointer(rebasing: $0[start...])) }
        raw.removeAll(keepingCapacity: true)
        recordCount = 0
        return (header, hash)
    }
}
