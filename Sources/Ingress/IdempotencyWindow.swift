import Crypto
import Foundation
import LogFormat
import LogStore
import Payloads
import Synchronization

/// A 128-bit digest: the first 16 bytes of a SHA-256. The window compares keys and payloads by
/// it, not by their bytes: an entry is then the same size whatever a key's length (up to 1,024
/// characters), and two different keys or payloads share one with probability ~2^-128 per pair.
struct Digest128: Hashable, Sendable {
    var high: UInt64
    var low: UInt64

    init(sha256Of bytes: some DataProtocol) {
        let hash = SHA256.hash(data: bytes)
        (high, low) = hash.withUnsafeBytes { ($0.loadUnaligned(as: UInt64.self), $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) }
    }

    /// The digest of an idempotency key's UTF-8 bytes.
    init(key: String) { self.init(sha256Of: Array(key.utf8)) }

    init(high: UInt64, low: UInt64) { (self.high, self.low) = (high, low) }
}

/// Idempotency keys of accepted payloads (SPEC §2): a retry with the same key, route and bytes gets
/// the original answer and appends nothing; the same key with another route or other bytes is a
/// conflict. Keys are global to the log, kept for `retentionMs` (24 h) and at least the newest
/// `keysMin` (1,000,000). A key is claimed while its first request is in flight, so a concurrent
/// retry waits for that outcome; a rejected or failed request releases it.
///
/// Memory: an accepted key costs the same whatever its length: a 48-byte entry (its payload's
/// digest and the answer) in a hash table keyed by its digest, and 24 bytes in the eviction
/// order; ~175 bytes of RSS per key measured with a million keys (docs/operations.md).
/// Thread-safe (`Mutex`); callbacks run outside the lock.
public final class IdempotencyWindow: Sendable {
    /// SPEC §2: keys accepted in the last 24 h, and at least the newest 1,000,000.
    public static let retentionMsDefault: Int64 = 24 * 3600 * 1000
    public static let keysMinDefault = 1_000_000

    let retentionMs: Int64
    let keysMin: Int

    /// What a request with a key should do.
    public enum Claim: Equatable, Sendable {
        /// First use: append, then `complete` (or `release`).
        case claimed
        /// A retry of an accepted request: answer this, append nothing.
        case replay(offset: LogOffset, checkpoint: Int64?)
        /// Same key, other route or bytes.
        case conflict
    }

    /// A request's route version and payload digest: what a retry must repeat.
    struct Request: Equatable {
        var version: UInt8
        var payload: Digest128
    }

    struct Waiter {
        var request: Request
        var decide: @Sendable (Claim) -> Void
    }

    /// A key whose request is in flight (rare and short-lived: kept apart from the accepted keys,
    /// so those stay small).
    struct Pending {
        var owner: Request
        var waiters: [Waiter]
    }

    struct Accepted {
        // Ordered for a 48-byte stride: the digest, the 8-byte fields, then the small ones.
        var payload: Digest128
        var offset: LogOffset
        var receivedAtMs: Int64
        var checkpoint: Int64?
        var version: UInt8

        var request: Request { Request(version: version, payload: payload) }

        init(_ request: Request, offset: LogOffset, checkpoint: Int64?, receivedAtMs: Int64) {
            (payload, version) = (request.payload, request.version)
            (self.offset, self.checkpoint, self.receivedAtMs) = (offset, checkpoint, receivedAtMs)
        }
    }

    struct Storage {
        var accepted: [Digest128: Accepted] = [:]
        var pending: [Digest128: Pending] = [:]
        /// Accepted keys in log order, for eviction.
        var order: [(key: Digest128, receivedAtMs: Int64)] = []
        var orderStart = 0
    }

    private let storage = Mutex(Storage())

    /// Who holds a key that is not free.
    private enum Holder {
        case accepted(Accepted)
        case inFlight(owner: Request)
    }

    /// The one place that decides who holds a key: its holder, or nil after claiming the free key
    /// for `request` (its request is then in flight). Called under the lock.
    private static func holder(of digest: Digest128, claimingFor request: Request, in storage: inout Storage) -> Holder? {
        if let accepted = storage.accepted[digest] { return .accepted(accepted) }
        if let pending = storage.pending[digest] { return .inFlight(owner: pending.owner) }
        storage.pending[digest] = Pending(owner: request, waiters: [])
        return nil
    }

    init(retentionMs: Int64 = retentionMsDefault, keysMin: Int = keysMinDefault) {
        self.retentionMs = retentionMs
        self.keysMin = keysMin
    }

    /// Claims `key` for a request of route `version` with these payload bytes, or answers at once.
    /// If the key's first request is still in flight, `onDecided` is called once it settles:
    /// accepted → replay or conflict for this request; released → this request claims the key.
    public func claim(key: String, version: UInt8, payload: [UInt8], onDecided: @escaping @Sendable (Claim) -> Void) {
        let digest = Digest128(key: key)
        let request = Request(version: version, payload: Digest128(sha256Of: payload))
        let immediate = storage.withLock { storage -> Claim? in
            switch Self.holder(of: digest, claimingFor: request, in: &storage) {
            case nil: return .claimed
            case .accepted(let accepted): return Self.answer(accepted, to: request)
            case .inFlight:
                storage.pending[digest]!.waiters.append(Waiter(request: request, decide: onDecided))
                return nil
            }
        }
        if let immediate { onDecided(immediate) }
    }

    /// The claimed key's request was appended: later retries replay this answer.
    public func complete(key: String, offset: LogOffset, checkpoint: Int64?, receivedAtMs: Int64) {
        let digest = Digest128(key: key)
        let decisions = storage.withLock { storage -> [(Waiter, Claim)] in
            guard let pending = storage.pending.removeValue(forKey: digest) else { return [] }
            let accepted = Accepted(pending.owner, offset: offset, checkpoint: checkpoint, receivedAtMs: receivedAtMs)
            storage.accepted[digest] = accepted
            storage.order.append((digest, receivedAtMs))
            evict(&storage, nowMs: receivedAtMs)
            return pending.waiters.map { ($0, Self.answer(accepted, to: $0.request)) }
        }
        for (waiter, claim) in decisions { waiter.decide(claim) }
    }

    /// The claimed key's request was not appended (rejected or failed): the key is free again,
    /// and the first waiting request, if any, now owns it.
    func release(key: String) {
        let digest = Digest128(key: key)
        let next = storage.withLock { storage -> Waiter? in
            guard var pending = storage.pending.removeValue(forKey: digest), !pending.waiters.isEmpty else { return nil }
            let first = pending.waiters.removeFirst()
            storage.pending[digest] = Pending(owner: first.request, waiters: pending.waiters)
            return first
        }
        next?.decide(.claimed)
    }

    var count: Int { storage.withLock { $0.accepted.count + $0.pending.count } }

    /// For a writer that decides alone (`import`), at once: claims `key` when it is free, else
    /// says whether this request repeats the one that holds it (accepted, or still in flight)
    /// or conflicts with it.
    public enum Decision: Equatable, Sendable {
        case claimed
        case repeatsAccepted(offset: LogOffset)
        case repeatsInFlight
        case conflict
    }

    public func decide(key: String, version: UInt8, payload: [UInt8]) -> Decision {
        let digest = Digest128(key: key)
        let request = Request(version: version, payload: Digest128(sha256Of: payload))
        return storage.withLock { storage in
            switch Self.holder(of: digest, claimingFor: request, in: &storage) {
            case nil: .claimed
            case .accepted(let accepted): accepted.request == request ? .repeatsAccepted(offset: accepted.offset) : .conflict
            case .inFlight(let owner): owner == request ? .repeatsInFlight : .conflict
            }
        }
    }

    /// The offset of the accepted request `key` holds, if it does.
    public func acceptedOffset(key: String) -> LogOffset? {
        let digest = Digest128(key: key)
        return storage.withLock { $0.accepted[digest]?.offset }
    }

    private static func answer(_ accepted: Accepted, to request: Request) -> Claim {
        accepted.request == request ? .replay(offset: accepted.offset, checkpoint: accepted.checkpoint) : .conflict
    }

    /// Drops accepted keys older than the retention, beyond the newest `keysMin`.
    func evict(_ storage: inout Storage, nowMs: Int64) {
        while storage.order.count - storage.orderStart > keysMin,
            storage.order[storage.orderStart].receivedAtMs < nowMs - retentionMs
        {
            let old = storage.order[storage.orderStart]
            if storage.accepted[old.key]?.receivedAtMs == old.receivedAtMs {
                storage.accepted[old.key] = nil
            }
            storage.orderStart += 1
        }
        if storage.orderStart > 65536 && storage.orderStart * 2 > storage.order.count {
            storage.order.removeFirst(storage.orderStart)
            storage.orderStart = 0
        }
    }

    /// Rebuilds the window from the log: every keyed record received in the last 24 h, and at
    /// least the newest `keysMin` keyed records (scanning further back in steps when needed).
    /// When the log holds a snapshot the window saved at its last stop (`saveSnapshot`) that
    /// matches the log, only the records appended after it are read.
    /// Records are read once and not kept: each keyed one becomes an entry as it is read.
    public static func rebuild(
        from logPath: String, nowMs: Int64, limits: PayloadLimits, retentionMs: Int64 = retentionMsDefault, keysMin: Int = keysMinDefault
    ) throws -> IdempotencyWindow {
        let window = IdempotencyWindow(retentionMs: retentionMs, keysMin: keysMin)
        let reader = LogReader(directory: logPath)
        var storage = Storage()
        if let snapshot = try IdempotencySnapshot.load(logPath: logPath, reader: reader) {
            storage = snapshot.storage
            storage.order += try scan(reader, from: snapshot.next, until: nil, limits: limits, into: &storage.accepted)
            window.evict(&storage, nowMs: nowMs)
        } else {
            var end: LogOffset?  // where the range read before this one starts
            var start = try reader.offset(beforeTimeMs: nowMs - retentionMs)
            var step = UInt64(keysMin)
            while true {
                let order = try scan(reader, from: start, until: end, limits: limits, into: &storage.accepted)
                storage.order = end == nil ? order : order + storage.order  // log order: an older range goes first
                if storage.order.count >= keysMin || start == .zero { break }
                end = start
                start = LogOffset(start.rawValue > step ? start.rawValue - step : 0)
                step *= 2
            }
        }
        window.storage.withLock { $0 = storage }
        return window
    }

    /// Makes an entry of every keyed record from `start` to `end` (the log's end when nil), in
    /// `accepted` (where a key already has a later record, that one stays its entry); returns
    /// their keys in log order.
    private static func scan(
        _ reader: LogReader, from start: LogOffset, until end: LogOffset?, limits: PayloadLimits, into accepted: inout [Digest128: Accepted]
    ) throws -> [(key: Digest128, receivedAtMs: Int64)] {
        var order = [(key: Digest128, receivedAtMs: Int64)]()
        var cursor = reader.cursor(from: start)
        while let batch = try cursor.nextBatch() {
            for record in batch {
                if let end, record.offset >= end { return order }
                guard let key = record.idempotencyKey else { continue }
                let digest = Digest128(key: key)
                order.append((digest, record.receivedAtMs))
                // A key appended again after it left the window: its latest record is its entry.
                guard accepted[digest].map({ $0.offset < record.offset }) ?? true else { continue }
                let checkpoint = record.version == 3
                    ? (try? PayloadValidator.check(record.payload[...], route: .v3, limits: limits))?.acknowledgedCheckpoint : nil
                accepted[digest] = Accepted(
                    Request(version: record.version, payload: Digest128(sha256Of: record.payload)), offset: record.offset,
                    checkpoint: checkpoint, receivedAtMs: record.receivedAtMs)
            }
        }
        return order
    }

    /// Saves the window beside the log (`IdempotencySnapshot`), so that the next `rebuild` reads
    /// only what is appended after it. Call when no request is in flight and the log's writer is
    /// closed (the ingress's shutdown): the window then holds every keyed record before the end.
    public func saveSnapshot(logPath: String) throws {
        let storage = storage.withLock { $0 }
        assert(storage.pending.isEmpty, "a snapshot taken with requests in flight")
        let snapshot = try IdempotencySnapshot(logPath: logPath, storage: storage)
        try PosixFile.replaceAtomically(IdempotencySnapshot.path(logPath: logPath), in: logPath, with: snapshot.encoded())
    }
}
