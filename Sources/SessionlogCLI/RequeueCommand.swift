import ArgumentParser
import Ingress
import Payloads

/// `sessionlog requeue`: append quarantined payloads that the current rules accept.
struct RequeueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "requeue",
        abstract: "Re-validate quarantined payloads with the current schemas and append those now valid to the main log.",
        discussion: """
            Each requeued payload keeps its idempotency key, or gets requeue:<quarantine offset>, so \
            running requeue again appends nothing twice. Oversized payloads (only their first 64 KiB \
            were kept) and idempotency conflicts are never requeued. Takes the main log's writer \
            lock: stop the ingress first. Prints {"scanned","requeued","still_invalid","already_in_log","not_requeueable"}.
            """
    )

    @OptionGroup var data: DataOptions

    @Flag(help: "Only count what would be requeued.")
    var dryRun = false

    @Option(help: "Largest payload in bytes.")
    var maxBody: Int = PayloadLimits().bodyBytesMax

    func run() async throws {
        try data.requireExisting()
        let summary = try await QuarantineRequeue.run(
            mainLog: data.logPath, quarantineLog: data.rejectedPath, dryRun: dryRun, limits: PayloadLimits(bodyBytesMax: maxBody))
        print(
            JSONText.object([
                ("scanned", String(summary.scanned)), ("requeued", String(summary.requeued)),
                ("still_invalid", String(summary.stillInvalid)), ("already_in_log", String(summary.alreadyInLog)),
                ("not_requeueable", String(summary.notRequeueable)), ("dry_run", String(dryRun)),
            ]))
    }
}
