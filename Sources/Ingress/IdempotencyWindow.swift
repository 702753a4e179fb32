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
/// Memory: an accepted key costs the same whatever its length: a 56-byte entry (its digest, its
/// payload's digest and the answer) in the eviction order, and an 8-byte slot of the index from
/// its digest (`IdempotencyKeyIndex`); ~73 bytes of RSS per key measured (docs/operations.md).
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
        /// The claim's number (`Storage.claims` after it): a snapshot waits for the claims made
        /// before it to settle.
        var claim: UInt64
    }

    /// 40 bytes: an entry with its key's digest is 56.
    struct Accepted {
        var payload: Digest128
        var offset: LogOffset
        var receivedAtMs: Int64
        /// The version in the top byte; below it the checkpoint + 1, or 0 for none.
        private var versionAndCheckpoint: UInt64

        var version: UInt8 { UInt8(truncatingIfNeeded: versionAndCheckpoint >> 56) }
        var checkpoint: Int64? {
            let stored = versionAndCheckpoint & (1 << 56 - 1)
            return stored == 0 ? nil : Int64(stored) - 1
        }

        var request: Request { Request(version: version, payload: payload) }

        init(_ request: Request, offset: LogOffset, checkpoint: Int64?, receivedAtMs: Int64) {
            // A V3 checkpoint is below 2^53 plus MAX_ACTIONS (SPEC §1.1).
            precondition((checkpoint ?? 0) >= 0 && (checkpoint ?? 0) < 1 << 55, "an idempotency checkpoint out of range")
            (payload, self.offset, self.receivedAtMs) = (request.payload, offset, receivedAtMs)
            versionAndCheckpoint = UInt64(request.version) << 56 | (checkpoint.map { UInt64($0) + 1 } ?? 0)
        }
    }

    struct Storage {
        /// Accepted keys in log order (the eviction order), a key again after it was appended again.
        var entries = IdempotencyEntries()
        /// Each accepted key's last entry.
        var index: IdempotencyKeyIndex
        var pending: [Digest128: Pending] = [:]
        /// Claims made so far.
        var claims: UInt64 = 0

        /// An empty window with room for `keys` keys before its index grows.
        init(reservingFor keys: Int = 0) { index = IdempotencyKeyIndex(reservingFor: keys) }

        func accepted(_ key: Digest128) -> Accepted? { index.sequence(of: key, in: entries).map { entries[$0].accepted } }

        /// Appends `entry`, which becomes its key's entry. Entries come in log order — a rebuild
        /// adds the snapshot's, then the records after it, oldest first; a running window holds a
        /// key at most once, since a key is claimed again only after its entry was evicted — so a
        /// key's last entry is its latest record's.
        mutating func add(_ entry: IdempotencyEntry) {
            let sequence = entries.append(entry)
            index.set(entry.key, to: sequence, in: entries)
        }

        /// Drops the oldest entry, and its key unless a later entry holds it.
        mutating func dropOldest() {
            guard let oldest = entries.first else { return }
            index.remove(oldest.key, ifAt: entries.start, in: entries)
            entries.dropFirst()
        }
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
        if let accepted = storage.accepted(digest) { return .accepted(accepted) }
        if let pending = storage.pending[digest] { return .inFlight(owner: pending.owner) }
        storage.claims += 1
        storage.pending[digest] = Pending(owner: request, waiters: [], claim: storage.claims)
        return nil
    }

    /// How `rebuild` made a window: from the records from `readFrom` on, and before them from
    /// the snapshot that ends at `snapshotNext` (nil when none was loaded).
    public struct Origin: Sendable, Equatable {
        public var snapshotNext: LogOffset?
        public var readFrom: LogOffset
    }

    /// Nil for a window that was not rebuilt from a log.
    public let origin: Origin?

    init(retentionMs: Int64 = retentionMsDefault, keysMin: Int = keysMinDefault, origin: Origin? = nil) {
        self.retentionMs = retentionMs
        self.keysMin = keysMin
        self.origin = origin
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
            storage.add(IdempotencyEntry(key: digest, accepted: accepted))
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
            storage.pending[digest] = Pending(owner: first.request, waiters: pending.waiters, claim: pending.claim)
            return first
        }
        next?.decide(.claimed)
    }

    var count: Int { storage.withLock { $0.index.count + $0.pending.count } }

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
        return storage.withLock { $0.accepted(digest)?.offset }
    }

    private static func answer(_ accepted: Accepted, to request: Request) -> Claim {
        accepted.request == request ? .replay(offset: accepted.offset, checkpoint: accepted.checkpoint) : .conflict
    }

    /// Drops accepted keys older than the retention, beyond the newest `keysMin`.
    func evict(_ storage: inout Storage, nowMs: Int64) {
        while storage.entries.count > keysMin, let oldest = storage.entries.first, oldest.accepted.receivedAtMs < nowMs - retentionMs {
            storage.dropOldest()
        }
    }

    /// Rebuilds the window from the log: every keyed record received in the last 24 h, and at
    /// least the newest `keysMin` keyed records (scanning further back in steps when needed).
    /// A snapshot the window saved (`IdempotencySnapshot`) that matches the log stands for the
    /// records before it: once the scan reaches back to it, it is loaded and the scan stops, so a
    /// recent snapshot leaves only the records appended after it to read, and an old one (a
    /// crash long after the last snapshot) never makes the rebuild read more than it would without.
    /// Records are read once and not kept: each keyed one becomes an entry as it is read.
    public static func rebuild(
        from logPath: String, nowMs: Int64, limits: PayloadLimits, retentionMs: Int64 = retentionMsDefault, keysMin: Int = keysMinDefault
    ) throws -> IdempotencyWindow {
        let reader = LogReader(directory: logPath)
        let snapshot = try IdempotencySnapshot.load(logPath: logPath, reader: reader)
        var ranges: [IdempotencyEntries] = []  // newest first
        var end: LogOffset?  // where the range read before this one starts
        // A snapshot whose last record is in the retention ends after the retention's start.
        var start = if let snapshot, snapshot.lastReceivedAtMs >= nowMs - retentionMs {
            snapshot.next
        } else {
            try reader.offset(beforeTimeMs: nowMs - retentionMs)
        }
        var step = UInt64(keysMin)
        var count = 0
        var loaded: IdempotencySnapshot?  // the snapshot, once the scan has reached back to it
        while true {
            if let snapshot, start <= snapshot.next { (start, loaded) = (snapshot.next, snapshot) }
            let range = try scan(reader, from: start, until: end, limits: limits)
            ranges.append(range)
            count += range.count
            if loaded != nil || count >= keysMin || start == .zero { break }
            end = start
            start = LogOffset(start.rawValue > step ? start.rawValue - step : 0)
            step *= 2
        }
        var storage = try loaded?.storage(reservingFor: count) ?? Storage(reservingFor: count)
        // Oldest first; each range's chunks are freed as they are moved into the window.
        for index in ranges.indices.reversed() {
            while let entry = ranges[index].first {
                storage.add(entry)
                ranges[index].dropFirst()
            }
        }
        let window = IdempotencyWindow(retentionMs: retentionMs, keysMin: keysMin, origin: Origin(snapshotNext: loaded?.next, readFrom: start))
        window.evict(&storage, nowMs: nowMs)
        window.storage.withLock { $0 = storage }
        return window
    }

    /// An entry for every keyed record from `start` to `end` (the log's end when nil), in log order.
    private static func scan(_ reader: LogReader, from start: LogOffset, until end: LogOffset?, limits: PayloadLimits) throws -> IdempotencyEntries {
        var entries = IdempotencyEntries()
        var cursor = reader.cursor(from: start)
        while let batch = try cursor.nextBatch() {
            for record in batch {
                if let end, record.offset >= end { return entries }
                guard let key = record.idempotencyKey else { continue }
                let checkpoint = record.version == 3
                    ? (try? PayloadValidator.check(record.payload[...], route: .v3, limits: limits))?.acknowledgedCheckpoint : nil
                let request = Request(version: record.version, payload: Digest128(sha256Of: record.payload))
                entries.append(
                    IdempotencyEntry(
                        key: Digest128(key: key), accepted: Accepted(request, offset: record.offset, checkpoint: checkpoint, receivedAtMs: record.receivedAtMs)))
            }
        }
        return entries
    }

    /// The accepted entries of every keyed record before `next`, once they are all in the window:
    /// nil while a key claimed before `claims` (the count `claimsMade()` returned after `next`
    /// was read as the log's committed end) is still in flight, since its record may lie before
    /// `next`. Claims made later are of records enqueued after `next` was committed.
    func entries(before next: LogOffset, claimsBefore claims: UInt64) -> LazyFilterSequence<IdempotencyEntries.Run>? {
        let run = storage.withLock { storage -> IdempotencyEntries.Run? in
            guard !storage.pending.values.contains(where: { $0.claim <= claims }) else { return nil }
            return storage.entries.run(storage.entries.start..<storage.entries.end)
        }
        // Read outside the lock: the run's entries are never written again.
        return run?.lazy.filter { $0.accepted.offset < next }
    }

    /// How many claims have been made so far.
    func claimsMade() -> UInt64 { storage.withLock { $0.claims } }

    /// Saves the window beside the log (`IdempotencySnapshot`) as of `next`, a committed end of
    /// the log read before this call, so that the next `rebuild` reads only what is appended
    /// after it. Waits (polling) for the keys claimed before the call to settle; gives up with
    /// false after `timeout` if they do not. The lock is held only to look at the keys in flight
    /// and to take the run of entries; requests go on while the file is written.
    public func saveSnapshot(logPath: String, next: LogOffset, timeout: Duration = .seconds(10)) throws -> Bool {
        let claims = claimsMade()
        let deadline = ContinuousClock.now + timeout
        while true {
            if let entries = entries(before: next, claimsBefore: claims) {
                try IdempotencySnapshot.save(entries, next: next, logPath: logPath)
                return true
            }
            guard ContinuousClock.now < deadline else { return false }
            Thread.sleep(forTimeInterval: 0.002)
        }
    }
}
