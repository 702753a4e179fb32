import ArgumentParser
import Foundation
import Ingress
import LogStore
import Payloads

/// `sessionlog requeue`: append quarantined payloads that the current rules accept.
struct RequeueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "requeue",
        abstract: "Re-validate quarantined payloads with the current schemas and append those now valid to the main log.",
        discussion: """
            Each requeued payload keeps its idempotency key, or gets requeue:<quarantine offset>, so \
            running requeue again appends nothing twice. A payload rejected as too_large is requeued \
            once --max-body takes it, if it was kept whole (64 KiB or less); a longer one kept only \
            its first 64 KiB and, like an idempotency conflict, is never requeued. Without an \
            ingress it takes the main log's writer lock; while an ingress holds the log, the \
            ingress does the requeue (POST /requeue on its socket, for its own user and root; its \
            --max-body applies) and producers keep sending. Prints \
            {"scanned","requeued","still_invalid","already_in_log","not_requeueable","dry_run"}.
            """
    )

    @OptionGroup var data: DataOptions

    @Flag(help: "Only count what would be requeued.")
    var dryRun = false

    @Option(help: "Largest payload in bytes.")
    var maxBody: Int = PayloadLimits().bodyBytesMax

    @Option(help: "The ingress's socket, used when it holds the log (default: <data>/ingress.sock).")
    var socket: String?

    func run() async throws {
        try data.requireExisting()
        do {
            let summary = try await QuarantineRequeue.run(
                mainLog: data.logPath, quarantineLog: data.rejectedPath, dryRun: dryRun, limits: PayloadLimits(bodyBytesMax: maxBody))
            print(summary.json(dryRun: dryRun))
        } catch let error as StorageError where error.code == .locked {
            let socketPath = data.socketPath(socket)
            guard let client = try? UnixHTTPClient(socketPath: socketPath, receiveTimeoutSeconds: 0) else {
                throw CommandError("\(error.message). No ingress answers on \(socketPath): if one holds the log on another socket, pass --socket PATH")
            }
            printError("requeue: an ingress holds the log; requeueing through it (\(socketPath))")
            let answer = try client.call("POST", "/requeue")
            guard answer.status == 200 else {
                let message = (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])
                    .flatMap { $0["error"] as? [String: Any] }.flatMap { $0["message"] as? String } ?? answer.body
                throw CommandError("the ingress answered \(answer.status): \(message)")
            }
            print(answer.body)
        }
    }
}
