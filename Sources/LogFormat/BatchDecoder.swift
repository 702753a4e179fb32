/// Checks and decodes stored batches: CRC, decompression, and every record's framing.
///
/// Stateless; safe from any thread.
public enum BatchDecoder {
    /// Checks the CRC-32C of a whole stored batch (`batch` starts at the header's magic).
    public static func verifyChecksum(_ header: BatchHeader, batch: UnsafeRawBufferPointer) throws(FormatError) {
        guard batch.count >= header.totalSize else {
            throw FormatError(.truncated, "batch needs \(header.totalSize) bytes, \(batch.count) remain", at: batch.count)
        }
        let covered = UnsafeRawBufferPointer(rebasing: batch[BatchHeader.crcCoverageStart..<header.totalSize])
        let computed = CRC32C.checksum(covered)
        guard computed == header.crc else {
            throw FormatError(.checksumMismatch, "batch CRC \(hex32(header.crc)) != computed \(hex32(computed))", at: 4)
        }
    }

    /// Decompresses `body` (the stored bytes after the header) and decodes its records.
    /// The records' payloads are slices of one fresh buffer per batch.
    public static func records(_ header: BatchHeader, body: UnsafeRawBufferPointer) throws(FormatError) -> [LogRecord] {
        guard body.count >= header.storedLength else {
            throw FormatError(.truncated, "batch body needs \(header.storedLength) bytes, \(body.count) remain")
        }
        let stored = UnsafeRawBufferPointer(rebasing: body[0..<header.storedLength])
        var raw: [UInt8]
        switch header.codec {
        case .none:
            raw = Array(stored)
        case .lz4:
            raw = []
            try LZ4Block.decompress(stored, rawLength: header.rawLength, into: &raw)
        }
        return try parseRecords(header, raw: raw)
    }

    static func parseRecords(_ header: BatchHeader, raw: [UInt8]) throws(FormatError) -> [LogRecord] {
        var records = [LogRecord]()
        records.reserveCapacity(header.recordCount)
        var position = 0
        var previousReceivedAt = header.firstReceivedAtMs
        let parsed = raw.withUnsafeBytes { bytes -> FormatError? in
            for index in 0..<header.recordCount {
                let at = BatchHeader.size + position  // for messages: position within the stored batch's raw form
                guard bytes.count - position >= RecordLayout.headerSize else {
                    return FormatError(.badRecord, "record \(index) header runs past the body (\(bytes.count - position) bytes left)", at: at)
                }
                let length = Int(bytes.littleEndian(at: position, as: UInt32.self))
                let delta = Int(bytes.littleEndian(at: position + 4, as: UInt32.self))
                let receivedAtDelta: Int64 = bytes.littleEndian(at: position + 8)
                let (receivedAt, overflow) = header.firstReceivedAtMs.addingReportingOverflow(receivedAtDelta)
                let version = bytes[position + 16]
                let reserved = bytes[position + 17]
                let keyLength = Int(bytes.littleEndian(at: position + 18, as: UInt16.self))
                let uid: UInt32 = bytes.littleEndian(at: position + 20)
                let reasonLength = Int(bytes.littleEndian(at: position + 24, as: UInt32.self))
                let payloadLength = Int(bytes.littleEndian(at: position + 28, as: UInt32.self))
                guard length == RecordLayout.headerSize - 4 + keyLength + reasonLength + payloadLength,
                    4 + length <= bytes.count - position
                else {
                    return FormatError(.badRecord, "record \(index) length \(length) disagrees with its parts or the body", at: at)
                }
                guard delta == index, reserved == 0 else {
                    return FormatError(.badRecord, "record \(index) has offset delta \(delta), reserved byte \(reserved)", at: at)
                }
                guard receivedAtDelta >= 0, !overflow, receivedAt >= previousReceivedAt, receivedAt <= header.lastReceivedAtMs else {
                    return FormatError(.badSequence, "record \(index) received_at \(receivedAt) outside the batch's non-decreasing range", at: at)
                }
                let keyStart = position + RecordLayout.headerSize
                let reasonStart = keyStart + keyLength
                let payloadStart = reasonStart + reasonLength
                records.append(
                    LogRecord(
                        offset: header.baseOffset.advanced(by: index), receivedAtMs: receivedAt, version: version,
                        producerUID: uid,
                        idempotencyKey: keyLength == 0 ? nil : String(decoding: bytes[keyStart..<reasonStart], as: UTF8.self),
                        rejectReason: reasonLength == 0 ? nil : String(decoding: bytes[reasonStart..<payloadStart], as: UTF8.self),
                        payload: raw[payloadStart..<payloadStart + payloadLength]))
                previousReceivedAt = receivedAt
                position += 4 + length
            }
            return nil
        }
        if let parsed { throw parsed }
        guard position == raw.count else {
            throw FormatError(.badRecord, "\(raw.count - position) bytes follow the batch's last record")
        }
        guard previousReceivedAt == header.lastReceivedAtMs else {
            throw FormatError(.badSequence, "last record received_at \(previousReceivedAt) != header's \(header.lastReceivedAtMs)")
        }
        return records
    }
}
