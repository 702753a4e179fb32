import Foundation
import LogFormat
import LogStore
import Payloads

/// `sessionlog requeue` (SPEC §1.4): re-validates the quarantine log's payloads with the current
/// rules and appends those now valid to the main log, each under its idempotency key — the one
/// it was sent with, else `requeue:<quarantine offset>` — so running it again, or after a crash,
/// appends nothing twice. Truncated payloads (over the size limit and over 64 KiB: only their
/// first 64 KiB were kept) and idempotency conflicts are never requeued; an oversized payload that
/// was kept whole is, once the size limit takes it. Offline (`run`) it takes the main log's
/// writer lock; a running ingress does it through its own writer and idempotency window
/// (`POST /requeue`, `IngressHandler`).
public enum QuarantineRequeue {
    public struct Summary: Sendable, Equatable {
        public var scanned = 0
        public var requeued = 0
        public var stillInvalid = 0
        /// Already in the main log under the same key (an earlier requeue, or a producer's retry).
        public var alreadyInLog = 0
        /// Truncated payloads (only a prefix was kept) and idempotency conflicts.
        public var notRequeueable = 0

        /// The summary as the command prints it and the ingress answers it.
        public func json(dryRun: Bool) -> String {
            JSONText.object([
                ("scanned", String(scanned)), ("requeued", String(requeued)), ("still_invalid", String(stillInvalid)),
                ("already_in_log", String(alreadyInLog)), ("not_requeueable", String(notRequeueable)), ("dry_run", String(dryRun)),
            ])
        }
    }

    /// A payload to requeue, as the destination needs it.
    struct Candidate: Sendable {
        var record: AppendRecord
        /// V3's acknowledged checkpoint (a producer's retry under the same key is answered with it).
        var checkpoint: Int64?
        /// Every requeued record has a key: the producer's, or `requeue:<quarantine offset>`.
        var key: String { record.idempotencyKey! }
    }

    /// Where requeued payloads go: `claim` says whether a key is still free (and takes it),
    /// `append` makes claimed payloads durable, in order, and settles their keys; `abandon`
    /// frees the keys of claimed payloads that were not appended (a failed append, an error).
    struct Destination {
        var claim: (Candidate) async -> Bool
        var append: (_ candidates: [Candidate]) async throws -> Void
        var abandon: (_ candidates: [Candidate]) -> Void = { _ in }
    }

    /// Requeues offline, holding the main log's writer lock (it refuses while an ingress or
    /// import runs). A dry run only reads and counts.
    public static func run(mainLog: String, quarantineLog: String, dryRun: Bool, limits: PayloadLimits = PayloadLimits())
        async throws -> Summary
    {
        // A dry run only reads; a real one holds the writer lock from before it reads the keys.
        let writer = dryRun ? nil : try LogWriter.open(directory: mainLog)
        do {
            // With the lock held, the keys read from the log are all the keys there are.
            let destination = Destination(
                claim: { _ in true },
                append: { candidates in _ = try await writer?.append(candidates.map(\.record)) })
            let summary = try await run(mainLog: mainLog, quarantineLog: quarantineLog, limits: limits, into: destination)
            await writer?.close()
            return summary
        } catch {
            await writer?.close()
            throw error
        }
    }

    /// Scans the quarantine log and hands every payload now valid, whose key neither the main
    /// log nor `destination` has, to `destination` in chunks of 1024.
    ///
    /// Two passes over the quarantine log, as far as the first one read: the first gathers the
    /// keys of the payloads now valid, so that the main log is read once for those keys only
    /// (memory grows with them, not with the main log, which holds every key ever sent).
    static func run(mainLog: String, quarantineLog: String, limits: PayloadLimits, into destination: Destination) async throws -> Summary {
        var wanted = Set<String>()
        var ignored = Summary()
        var cursor = LogReader(directory: quarantineLog).cursor(from: .zero)
        while let batch = try cursor.nextBatch() {
            for record in batch {
                if let candidate = candidate(record, limits: limits, counting: &ignored) { wanted.insert(candidate.key) }
            }
        }
        let end = cursor.nextOffset  // records quarantined from now on wait for the next requeue
        var keys = try keys(in: mainLog, among: wanted)
        var summary = Summary()
        var pending: [Candidate] = []
        cursor = LogReader(directory: quarantineLog).cursor(from: .zero)
        do {
            scan: while let batch = try cursor.nextBatch() {
                for record in batch {
                    guard record.offset < end else { break scan }
                    summary.scanned += 1
                    guard let candidate = candidate(record, limits: limits, counting: &summary) else { continue }
                    guard keys.insert(candidate.key).inserted, await destination.claim(candidate) else {
                        summary.alreadyInLog += 1
                        continue
                    }
                    summary.requeued += 1
                    pending.append(candidate)
                    if pending.count >= 1024 {
                        try await destination.append(pending)
                        pending.removeAll(keepingCapacity: true)
                    }
                }
            }
            if !pending.isEmpty { try await destination.append(pending) }
        } catch {
            destination.abandon(pending)  // claimed, never appended
            throw error
        }
        return summary
    }

    /// The quarantined `record` as a payload to requeue under its key; nil, counted in `summary`,
    /// when it cannot be requeued or today's rules still reject it.
    private static func candidate(_ record: LogRecord, limits: PayloadLimits, counting summary: inout Summary) -> Candidate? {
        guard let reason = Reason(record.rejectReason), reason.isRequeueable(keptBytes: record.payload.count) else {
            summary.notRequeueable += 1
            return nil
        }
        let bytes = Array(record.payload)
        let checked: (verdict: PayloadVerdict, idempotencyKey: String?)
        do {
            if let route = reason.route {
                checked = (try PayloadValidator.check(bytes[...], route: route, limits: limits), nil)
            } else {
                checked = try PayloadValidator.checkBatchLine(bytes[...], limits: limits)
            }
        } catch {
            summary.stillInvalid += 1
            return nil
        }
        let key = record.idempotencyKey ?? checked.idempotencyKey ?? "requeue:\(record.offset)"
        return Candidate(
            record: AppendRecord(version: checked.verdict.version.rawValue, producerUID: record.producerUID, idempotencyKey: key, payload: bytes),
            checkpoint: checked.verdict.acknowledgedCheckpoint)
    }

    /// Requeues through a running ingress: keys are claimed in its idempotency window, so a
    /// producer's retry and the requeue cannot both append one, and payloads go through its
    /// writer, sharing group commits with producers. Its limits (`--max-body`) apply.
    static func run(through services: IngressServices) async throws -> Summary {
        let window = services.idempotency
        let destination = Destination(
            claim: { candidate in
                await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                    window.claim(key: candidate.key, version: candidate.record.version, payload: candidate.record.payload) { claim in
                        if case .claimed = claim { continuation.resume(returning: true) } else { continuation.resume(returning: false) }
                    }
                }
            },
            append: { candidates in
                let offsets = try await services.log.append(candidates.map(\.record))
                let now = services.configuration.writer.clock()
                for (candidate, offset) in zip(candidates, offsets) {
                    window.complete(key: candidate.key, offset: offset, checkpoint: candidate.checkpoint, receivedAtMs: now)
                }
            },
            abandon: { candidates in
                for candidate in candidates { window.release(key: candidate.key) }
            })
        return try await run(
            mainLog: services.configuration.logPath, quarantineLog: services.configuration.rejectedPath,
            limits: services.configuration.payloadLimits, into: destination)
    }

    /// The keys of `wanted` that records of `log` carry.
    private static func keys(in log: String, among wanted: Set<String>) throws -> Set<String> {
        var found: Set<String> = []
        guard !wanted.isEmpty else { return found }
        var cursor = LogReader(directory: log).cursor(from: .zero)
        while let batch = try cursor.nextBatch() {
            for record in batch { if let key = record.idempotencyKey, wanted.contains(key) { found.insert(key) } }
        }
        return found
    }

    /// The parts of a quarantine record's reason that decide whether and how to re-validate it.
    struct Reason {
        var code: String
        var source: String
        /// An oversized payload's length as received (its record keeps at most the first 64 KiB).
        var length: Int?

        init?(_ text: String?) {
            guard let text, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                let code = object["code"] as? String
            else { return nil }
            self.code = code
            source = object["source"] as? String ?? ""
            length = object["length"] as? Int
        }

        /// A truncated payload cannot become valid (one kept whole can, under a larger size
        /// limit), and a conflict is not a validation failure.
        func isRequeueable(keptBytes: Int) -> Bool {
            switch code {
            case PayloadError.Code.idempotencyConflict.rawValue: false
            case PayloadError.Code.tooLarge.rawValue: length == keptBytes
            default: true
            }
        }

        /// The route it was sent to (single-payload routes); nil for `/batch` and `import` lines,
        /// which carry their own `v`.
        var route: PayloadVersion? {
            switch source {
            case "ingress:/v3/session": .v3
            case "ingress:/v2/session": .v2
            case "ingress:/v1/events": .v1
            default: nil
            }
        }
    }
}
