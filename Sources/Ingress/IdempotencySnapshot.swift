import Foundation
import LogFormat
import LogStore

/// The idempotency window as saved when the ingress stops: `idempotency.snapshot` in the log
/// directory (layout: docs/log-format.md, "The idempotency snapshot"). The next start loads it
/// and reads only the records appended after it, instead of 24 hours (or a million keys) of log.
///
/// It names the last record it covers (offset, `received_at`, payload digest). A snapshot that
/// does not match the log (the log was restored from another copy, or recovery cut it), or whose
/// CRC fails, is ignored: the window is then rebuilt from the log. A stale snapshot (the ingress
/// crashed after starting from it) still matches: the records after it are read.
struct IdempotencySnapshot {
    static let fileName = "idempotency.snapshot"
    static let magic = Array("SLIW".utf8)
    static let formatVersion: UInt32 = 1
    /// Magic, version, next offset, the last record's `received_at` and payload digest, counts.
    static let headerBytes = 56
    static let orderEntryBytes = 24
    static let acceptedEntryBytes = 58

    /// The records before this offset are in the window.
    var next: LogOffset
    /// The record at `next - 1`: when it was received and its payload's digest (zeros when `next` is 0).
    var lastReceivedAtMs: Int64
    var lastPayload: Digest128
    var storage: IdempotencyWindow.Storage

    static func path(logPath: String) -> String { logPath + "/" + fileName }

    /// The snapshot of `storage`, ending at the log's end.
    init(logPath: String, storage: IdempotencyWindow.Storage) throws {
        let reader = LogReader(directory: logPath)
        next = try reader.endOffset()
        guard let (receivedAt, payload) = try Self.identity(of: next, in: reader) else {
            throw StorageError(.io, "the log ends at offset \(next) but its record \(next.rawValue - 1) cannot be read", path: logPath)
        }
        (lastReceivedAtMs, lastPayload, self.storage) = (receivedAt, payload, storage)
    }

    private init(next: LogOffset, lastReceivedAtMs: Int64, lastPayload: Digest128, storage: IdempotencyWindow.Storage) {
        (self.next, self.lastReceivedAtMs, self.lastPayload, self.storage) = (next, lastReceivedAtMs, lastPayload, storage)
    }

    /// `received_at` and payload digest of the record before `next`; nil when the log has no such record.
    private static func identity(of next: LogOffset, in reader: LogReader) throws -> (Int64, Digest128)? {
        guard next > .zero else { return (0, Digest128(high: 0, low: 0)) }
        return try reader.record(at: LogOffset(next.rawValue - 1)).map { ($0.receivedAtMs, Digest128(sha256Of: $0.payload)) }
    }

    /// The log's snapshot when there is a readable one that matches the log; nil otherwise.
    static func load(logPath: String, reader: LogReader) throws -> IdempotencySnapshot? {
        // Mapped, not read: a million keys make a 56 MB file.
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path(logPath: logPath)), options: .alwaysMapped),
            let snapshot = data.withUnsafeBytes(decode)
        else { return nil }
        guard try reader.endOffset() >= snapshot.next, let (receivedAt, payload) = try identity(of: snapshot.next, in: reader),
            receivedAt == snapshot.lastReceivedAtMs, payload == snapshot.lastPayload
        else { return nil }
        return snapshot
    }

    func encoded() -> [UInt8] {
        let order = storage.order[storage.orderStart...]
        var out = Self.magic
        out.reserveCapacity(Self.headerBytes + order.count * Self.orderEntryBytes + storage.accepted.count * Self.acceptedEntryBytes + 4)
        out.appendLittleEndian(Self.formatVersion)
        out.appendLittleEndian(next.rawValue)
        out.appendLittleEndian(lastReceivedAtMs)
        Self.append(lastPayload, to: &out)
        out.appendLittleEndian(UInt64(order.count))
        out.appendLittleEndian(UInt64(storage.accepted.count))
        assert(out.count == Self.headerBytes)
        for entry in order {
            Self.append(entry.key, to: &out)
            out.appendLittleEndian(entry.receivedAtMs)
        }
        for (key, accepted) in storage.accepted {
            Self.append(key, to: &out)
            Self.append(accepted.payload, to: &out)
            out.appendLittleEndian(accepted.offset.rawValue)
            out.appendLittleEndian(accepted.receivedAtMs)
            out.appendLittleEndian(accepted.checkpoint ?? 0)
            out.append(accepted.checkpoint == nil ? 0 : 1)
            out.append(accepted.version)
        }
        out.appendLittleEndian(CRC32C.checksum(out))
        return out
    }

    /// The snapshot in `raw`, or nil when it is not one this build writes, or is damaged.
    static func decode(_ raw: UnsafeRawBufferPointer) -> IdempotencySnapshot? {
        guard raw.count >= headerBytes + 4, raw.prefix(4).elementsEqual(magic), raw.littleEndian(at: 4, as: UInt32.self) == formatVersion,
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[..<(raw.count - 4)])) == raw.littleEndian(at: raw.count - 4, as: UInt32.self)
        else { return nil }
        let orderCount = raw.littleEndian(at: 40, as: UInt64.self)
        let acceptedCount = raw.littleEndian(at: 48, as: UInt64.self)
        let (orderBytes, o1) = orderCount.multipliedReportingOverflow(by: UInt64(orderEntryBytes))
        let (acceptedBytes, o2) = acceptedCount.multipliedReportingOverflow(by: UInt64(acceptedEntryBytes))
        guard !o1, !o2, UInt64(raw.count) == UInt64(headerBytes + 4) + orderBytes + acceptedBytes else { return nil }
        var storage = IdempotencyWindow.Storage()
        var at = headerBytes
        storage.order.reserveCapacity(Int(orderCount))
        for _ in 0..<orderCount {
            storage.order.append((digest(raw, at: at), raw.littleEndian(at: at + 16, as: Int64.self)))
            at += orderEntryBytes
        }
        storage.accepted.reserveCapacity(Int(acceptedCount))
        for _ in 0..<acceptedCount {
            let checkpoint = raw[at + 56] == 0 ? nil : raw.littleEndian(at: at + 48, as: Int64.self)
            let request = IdempotencyWindow.Request(version: raw[at + 57], payload: digest(raw, at: at + 16))
            storage.accepted[digest(raw, at: at)] = IdempotencyWindow.Accepted(
                request, offset: LogOffset(raw.littleEndian(at: at + 32, as: UInt64.self)), checkpoint: checkpoint,
                receivedAtMs: raw.littleEndian(at: at + 40, as: Int64.self))
            at += acceptedEntryBytes
        }
        return IdempotencySnapshot(
            next: LogOffset(raw.littleEndian(at: 8, as: UInt64.self)), lastReceivedAtMs: raw.littleEndian(at: 16, as: Int64.self),
            lastPayload: digest(raw, at: 24), storage: storage)
    }

    /// A digest as stored: its two halves as little-endian integers, i.e. the SHA-256's first 16 bytes.
    private static func append(_ digest: Digest128, to out: inout [UInt8]) {
        out.appendLittleEndian(digest.high)
        out.appendLittleEndian(digest.low)
    }

    private static func digest(_ raw: UnsafeRawBufferPointer, at index: Int) -> Digest128 {
        Digest128(high: raw.littleEndian(at: index, as: UInt64.self), low: raw.littleEndian(at: index + 8, as: UInt64.self))
    }
}
