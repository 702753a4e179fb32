import Foundation
import LogFormat
import LogStore

/// The idempotency window as saved by the ingress — every few minutes while it runs, and when it
/// stops: `idempotency.snapshot` in the log directory (layout: docs/log-format.md, "The
/// idempotency snapshot"). The next start loads it and reads only the records appended after it,
/// instead of 24 hours (or a million keys) of log.
///
/// It names the last record it covers (offset, `received_at`, payload digest). A snapshot that
/// does not match the log (the log was restored from another copy, or recovery cut it), or whose
/// CRC fails, or of another format version, is ignored: the window is then rebuilt from the log.
struct IdempotencySnapshot {
    static let fileName = "idempotency.snapshot"
    static let magic = Array("SLIW".utf8)
    static let formatVersion: UInt32 = 2
    /// Magic, version, next offset, the last record's `received_at` and payload digest, entry count.
    static let headerBytes = 48
    static let entryBytes = 58

    /// The records before this offset are in the window.
    var next: LogOffset
    /// The record at `next - 1`: when it was received and its payload's digest (zeros when `next` is 0).
    var lastReceivedAtMs: Int64
    var lastPayload: Digest128
    /// How many entries the file holds.
    var count: Int
    /// The file, open: read again by `storage()`, which sees this file even if a save has
    /// replaced it since.
    private var file: PosixFile

    static func path(logPath: String) -> String { logPath + "/" + fileName }

    /// `received_at` and payload digest of the record before `next`; nil when the log has no such record.
    private static func identity(of next: LogOffset, in reader: LogReader) throws -> (Int64, Digest128)? {
        guard next > .zero else { return (0, Digest128(high: 0, low: 0)) }
        return try reader.record(at: LogOffset(next.rawValue - 1)).map { ($0.receivedAtMs, Digest128(sha256Of: $0.payload)) }
    }

    /// Writes the snapshot of `entries` (in log order: the window's, those before `next`), `next`
    /// being a committed end of the log, atomically over the log's current one. The file is
    /// written in 1 MiB pieces, so it never lies whole in memory.
    static func save(_ entries: some Sequence<IdempotencyEntry>, next: LogOffset, logPath: String) throws {
        let reader = LogReader(directory: logPath)
        guard let (receivedAt, payload) = try identity(of: next, in: reader) else {
            throw StorageError(.io, "the log's record \(next.rawValue - 1) cannot be read", path: logPath)
        }
        var header = magic
        header.appendLittleEndian(formatVersion)
        header.appendLittleEndian(next.rawValue)
        header.appendLittleEndian(receivedAt)
        append(payload, to: &header)
        header.appendLittleEndian(UInt64(entries.reduce(0) { count, _ in count + 1 }))
        assert(header.count == headerBytes)
        try PosixFile.replaceAtomically(path(logPath: logPath), in: logPath) { write in
            var crc: UInt32 = 0
            var piece = header
            piece.reserveCapacity(1 << 20)
            for entry in entries {
                append(entry.key, to: &piece)
                append(entry.accepted.payload, to: &piece)
                piece.appendLittleEndian(entry.accepted.offset.rawValue)
                piece.appendLittleEndian(entry.accepted.receivedAtMs)
                piece.appendLittleEndian(entry.accepted.checkpoint ?? 0)
                piece.append(entry.accepted.checkpoint == nil ? 0 : 1)
                piece.append(entry.accepted.version)
                if piece.count >= (1 << 20) - entryBytes {
                    crc = piece.withUnsafeBytes { CRC32C.checksum($0, continuing: crc) }
                    try write(piece)
                    piece.removeAll(keepingCapacity: true)
                }
            }
            crc = piece.withUnsafeBytes { CRC32C.checksum($0, continuing: crc) }
            piece.appendLittleEndian(crc)
            try write(piece)
        }
    }

    /// The log's snapshot when there is a readable one that matches the log; nil otherwise.
    static func load(logPath: String, reader: LogReader) throws -> IdempotencySnapshot? {
        guard let file = try? PosixFile.openForReading(path(logPath: logPath)), let snapshot = try? checked(file) else { return nil }
        guard try reader.endOffset() >= snapshot.next, let (receivedAt, payload) = try identity(of: snapshot.next, in: reader),
            receivedAt == snapshot.lastReceivedAtMs, payload == snapshot.lastPayload
        else { return nil }
        return snapshot
    }

    /// The snapshot in `file`, or nil when it is not one this build writes, or is damaged. Reads
    /// the whole file (in pieces) for its CRC.
    private static func checked(_ file: PosixFile) throws -> IdempotencySnapshot? {
        var header = [UInt8](repeating: 0, count: headerBytes)
        guard try file.read(into: &header, at: 0, count: headerBytes, position: 0) == headerBytes else { return nil }
        return try header.withUnsafeBytes { (raw) throws -> IdempotencySnapshot? in
            guard raw.prefix(4).elementsEqual(magic), raw.littleEndian(at: 4, as: UInt32.self) == formatVersion else { return nil }
            let (entriesBytes, overflow) = raw.littleEndian(at: 40, as: UInt64.self).multipliedReportingOverflow(by: UInt64(entryBytes))
            guard !overflow, UInt64(try file.size()) == UInt64(headerBytes + 4) + entriesBytes else { return nil }
            let snapshot = IdempotencySnapshot(
                next: LogOffset(raw.littleEndian(at: 8, as: UInt64.self)), lastReceivedAtMs: raw.littleEndian(at: 16, as: Int64.self),
                lastPayload: digest(raw, at: 24), count: Int(entriesBytes) / entryBytes, file: file)
            var crc = CRC32C.checksum(raw)
            try snapshot.forEachPiece { crc = CRC32C.checksum($0, continuing: crc) }
            var stored = [UInt8](repeating: 0, count: 4)
            guard try file.read(into: &stored, at: 0, count: 4, position: Int64(headerBytes) + Int64(entriesBytes)) == 4 else { return nil }
            return crc == stored.withUnsafeBytes({ $0.littleEndian(at: 0, as: UInt32.self) }) ? snapshot : nil
        }
    }

    /// Calls `body` with the entries' bytes, in pieces of whole entries (about 1 MiB): the file
    /// never lies whole in memory.
    private func forEachPiece(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let entriesPerPiece = (1 << 20) / Self.entryBytes
        var piece = [UInt8](repeating: 0, count: entriesPerPiece * Self.entryBytes)
        var done = 0
        while done < count {
            let bytes = min(entriesPerPiece, count - done) * Self.entryBytes
            let position = Int64(Self.headerBytes) + Int64(done) * Int64(Self.entryBytes)
            guard try file.read(into: &piece, at: 0, count: bytes, position: position) == bytes else {
                throw StorageError(.io, "the idempotency snapshot ended early", path: file.path)
            }
            try piece.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[..<bytes])) }
            done += bytes / Self.entryBytes
        }
    }

    /// The window the snapshot holds, its entries added in order (`IdempotencyWindow.Storage.add`),
    /// with room for `more` keys before its index grows.
    func storage(reservingFor more: Int) throws -> IdempotencyWindow.Storage {
        var storage = IdempotencyWindow.Storage(reservingFor: count + more)
        try forEachPiece { raw in
            for at in stride(from: 0, to: raw.count, by: Self.entryBytes) {
                let checkpoint = raw[at + 56] == 0 ? nil : raw.littleEndian(at: at + 48, as: Int64.self)
                let request = IdempotencyWindow.Request(version: raw[at + 57], payload: Self.digest(raw, at: at + 16))
                let accepted = IdempotencyWindow.Accepted(
                    request, offset: LogOffset(raw.littleEndian(at: at + 32, as: UInt64.self)), checkpoint: checkpoint,
                    receivedAtMs: raw.littleEndian(at: at + 40, as: Int64.self))
                storage.add(IdempotencyEntry(key: Self.digest(raw, at: at), accepted: accepted))
            }
        }
        return storage
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
