import Foundation
import LogFormat
import LogStore
import Payloads
import Synchronization

/// Idempotency keys of accepted payloads (SPEC §2): a retry with the same key, route and bytes gets
/// the original answer and appends nothing; the same key with another route or other bytes is a
/// conflict. Keys are global to the log, kept for `retentionMs` (24 h) and at least the newest
/// `keysMin` (1,000,000). A key is claimed while its first request is in flight, so a concurrent
/// retry waits for that outcome; a rejected or failed request releases it.
///
/// Thread-safe (`Mutex`); callbacks run outside the lock.
final class IdempotencyWindow: Sendable {
    static let retentionMs: Int64 = 24 * 3600 * 1000
    static let keysMin = 1_000_000

    /// What a request with a key should do.
    enum Claim {
        /// First use: append, then `complete` (or `release`).
        case claimed
        /// A retry of an accepted request: answer this, append nothing.
        case replay(offset: LogOffset, checkpoint: Int64?)
        /// Same key, other route or bytes.
        case conflict
    }

    private struct Waiter {
        var version: UInt8
        var digest: [UInt8]
        var decide: @Sendable (Claim) -> Void
    }

    private struct Entry {
        /// The route version and payload digest of the request that owns (or owned) the key.
        var version: UInt8
        var digest: [UInt8]
        var state: State
        enum State {
            case pending([Waiter])
            case accepted(offset: LogOffset, checkpoint: Int64?, receivedAtMs: Int64)
        }
    }

    private struct Storage {
        var entries: [String: Entry] = [:]
        /// Accepted keys in log order, for eviction.
        var order: [(key: String, receivedAtMs: Int64)] = []
        var orderStart = 0
    }

    private let storage = Mutex(Storage())

    /// Claims `key` for a request, or answers at once. If the key's first request is still in
    /// flight, `onDecided` is called once it settles: accepted → replay or conflict for this
    /// request; released → this request claims the key.
    func claim(key: String, version: UInt8, digest: [UInt8], onDecided: @escaping @Sendable (Claim) -> Void) {
        let immediate = storage.withLock { storage -> Claim? in
            guard var entry = storage.entries[key] else {
                storage.entries[key] = Entry(version: version, digest: digest, state: .pending([]))
                return .claimed
            }
            switch entry.state {
            case .accepted(let offset, let checkpoint, _):
                return entry.version == version && entry.digest == digest ? .replay(offset: offset, checkpoint: checkpoint) : .conflict
            case .pending(var waiters):
                waiters.append(Waiter(version: version, digest: digest, decide: onDecided))
                entry.state = .pending(waiters)
                storage.entries[key] = entry
                return nil
            }
        }
        if let immediate { onDecided(immediate) }
    }

    /// The claimed key's request was appended: later retries replay this answer.
    func complete(key: String, offset: LogOffset, checkpoint: Int64?, receivedAtMs: Int64) {
        let decisions = storage.withLock { storage -> [(@Sendable (Claim) -> Void, Claim)] in
            guard let entry = storage.entries[key], case .pending(let waiters) = entry.state else { return [] }
            storage.entries[key]!.state = .accepted(offset: offset, checkpoint: checkpoint, receivedAtMs: receivedAtMs)
            storage.order.append((key, receivedAtMs))
            Self.evict(&storage, nowMs: receivedAtMs)
            return waiters.map { waiter in
                let same = waiter.version == entry.version && waiter.digest == entry.digest
                return (waiter.decide, same ? .replay(offset: offset, checkpoint: checkpoint) : .conflict)
            }
        }
        for (decide, claim) in decisions { decide(claim) }
    }

    /// The claimed key's request was not appended (rejected or failed): the key is free again,
    /// and the first waiting request, if any, now owns it.
    func release(key: String) {
        let next = storage.withLock { storage -> Waiter? in
            guard let entry = storage.entries[key], case .pending(var waiters) = entry.state else { return nil }
            guard !waiters.isEmpty else {
                storage.entries[key] = nil
                return nil
            }
            let first = waiters.removeFirst()
            storage.entries[key] = Entry(version: first.version, digest: first.digest, state: .pending(waiters))
            return first
        }
        next?.decide(.claimed)
    }

    /// Adds an accepted record found in the log (rebuilding the window at start).
    func remember(key: String, version: UInt8, digest: [UInt8], offset: LogOffset, checkpoint: Int64?, receivedAtMs: Int64) {
        storage.withLock { storage in
            storage.entries[key] = Entry(
                version: version, digest: digest, state: .accepted(offset: offset, checkpoint: checkpoint, receivedAtMs: receivedAtMs))
            storage.order.append((key, receivedAtMs))
        }
    }

    var count: Int { storage.withLock { $0.entries.count } }

    /// Drops accepted keys older than the retention, beyond the newest `keysMin`.
    private static func evict(_ storage: inout Storage, nowMs: Int64) {
        while storage.order.count - storage.orderStart > keysMin,
            storage.order[storage.orderStart].receivedAtMs < nowMs - retentionMs
        {
            let old = storage.order[storage.orderStart]
            if case .accepted(_, _, let time)? = storage.entries[old.key]?.state, time == old.receivedAtMs {
                storage.entries[old.key] = nil
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
    static func rebuild(from logPath: String, nowMs: Int64, limits: PayloadLimits) throws -> IdempotencyWindow {
        let window = IdempotencyWindow()
        let reader = LogReader(directory: logPath)
        var start = try reader.offset(beforeTimeMs: nowMs - retentionMs)
        var step = 1_000_000
        while true {
            var keyed = [(LogRecord)]()
            var cursor = reader.cursor(from: start)
            while let batch = try cursor.nextBatch() {
                for record in batch where record.idempotencyKey != nil { keyed.append(record) }
            }
            if keyed.count >= keysMin || start == .zero {
                for record in keyed {
                    let bytes = Array(record.payload)
                    let checkpoint = record.version == 3 ? (try? PayloadValidator.check(bytes[...], route: .v3, limits: limits))?.acknowledgedCheckpoint : nil
                    window.remember(
                        key: record.idempotencyKey!, version: record.version, digest: QuarantineRecord.sha256(bytes),
                        offset: record.offset, checkpoint: checkpoint, receivedAtMs: record.receivedAtMs)
                }
                return window
            }
            start = LogOffset(start.rawValue > UInt64(step) ? start.rawValue - UInt64(step) : 0)
            step *= 2
        }
    }
}
