import Foundation
import LogFormat
import LogStore
import Payloads

/// `sessionlog requeue` (SPEC §1.4): re-validates the quarantine log's payloads with the current
/// rules and appends those now valid to the main log, each under its idempotency key — the one
/// it was sent with, else `requeue:<quarantine offset>` — so running it again, or after a crash,
/// appends nothing twice. Truncated (oversized) payloads and idempotency conflicts are never
/// requeued. Takes the main log's writer lock: it refuses while an ingress or import runs.
public enum QuarantineRequeue {
    public struct Summary: Sendable, Equatable {
        public var scanned = 0
        public var requeued = 0
        public var stillInvalid = 0
        /// Already in the main log under the same key (an earlier requeue, or a producer's retry).
        public var alreadyInLog = 0
        /// Oversized payloads (only a prefix is kept) and idempotency conflicts.
        public var notRequeueable = 0
    }

    public static func run(mainLog: String, quarantineLog: String, dryRun: Bool, limits: PayloadLimits = PayloadLimits())
        async throws -> Summary
    {
        // A dry run only reads; a real one holds the writer lock from before it reads the keys.
        let writer = dryRun ? nil : try LogWriter.open(directory: mainLog)
        var summary = Summary()
        do {
            var keys = try existingKeys(mainLog)
            var pending: [AppendRecord] = []
            var cursor = LogReader(directory: quarantineLog).cursor(from: .zero)
            while let batch = try cursor.nextBatch() {
                for record in batch {
                    summary.scanned += 1
                    guard let reason = Reason(record.rejectReason), reason.isRequeueable else {
                        summary.notRequeueable += 1
                        continue
                    }
                    let bytes = Array(record.payload)
                    let checked: (verdict: PayloadVerdict, idempotencyKey: String?)
                    do {
                        if let route = reason.route {
                            checked = (try PayloadValidator.check(bytes[...], route: route, limits: limits), nil)
                        } else {
                            checked = try PayloadValidator.checkBatchLine(bytes, limits: limits)
                        }
                    } catch {
                        summary.stillInvalid += 1
                        continue
                    }
                    let key = record.idempotencyKey ?? checked.idempotencyKey ?? "requeue:\(record.offset)"
                    guard keys.insert(key).inserted else {
                        summary.alreadyInLog += 1
                        continue
                    }
                    summary.requeued += 1
                    pending.append(
                        AppendRecord(version: checked.verdict.version.rawValue, producerUID: record.producerUID, idempotencyKey: key, payload: bytes))
                    if pending.count >= 1024 {
                        _ = try await writer?.append(pending)
                        pending.removeAll(keepingCapacity: true)
                    }
                }
            }
            if !pending.isEmpty { _ = try await writer?.append(pending) }
        } catch {
            await writer?.close()
            throw error
        }
        await writer?.close()
        return summary
    }

    private static func existingKeys(_ log: String) throws -> Set<String> {
        var keys: Set<String> = []
        var cursor = LogReader(directory: log).cursor(from: .zero)
        while let batch = try cursor.nextBatch() {
            for record in batch { if let key = record.idempotencyKey { keys.insert(key) } }
        }
        return keys
    }

    /// The parts of a quarantine record's reason that decide whether and how to re-validate it.
    struct Reason {
        var code: String
        var source: String

        init?(_ text: String?) {
            guard let text, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                let code = object["code"] as? String
            else { return nil }
            self.code = code
            source = object["source"] as? String ?? ""
        }

        /// A truncated payload cannot become valid, and a conflict is not a validation failure.
        var isRequeueable: Bool {
            code != PayloadError.Code.tooLarge.rawValue && code != PayloadError.Code.idempotencyConflict.rawValue
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
