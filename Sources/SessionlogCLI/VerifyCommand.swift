import ArgumentParser
import LogFormat
import LogStore
import Payloads

/// `sessionlog verify`: CRCs, record framing, indexes and the hash chain; prints the head.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every batch, index and the hash chain; print {\"last_offset\":N,\"head\":\"<hex>\"}.",
        discussion: """
            Exits non-zero naming the first corruption (segment, byte position, offset). Keep the \
            printed head: a later `verify --expect-head N:HASH` proves history up to N is unchanged.
            """
    )

    @OptionGroup var data: DataOptions

    @Option(help: "OFFSET:HASH from an earlier verify: the batch ending at OFFSET must still hash to HASH (64 hex digits).")
    var expectHead: ExpectedHead?

    @Flag(help: "Verify the quarantine log instead of the main log.")
    var rejected = false

    func run() async throws {
        let path = data.path(rejected: rejected)
        guard LogDirectory(path: path).exists else { throw CommandError("no log at \(path)") }
        let report = try LogVerifier.verify(directory: path, expectHead: expectHead.map { ($0.offset, $0.hash) })
        if report.uncommittedBytes > 0 {
            printError("verify: \(report.uncommittedBytes) bytes past the commit marker were not checked (an append in progress, or a torn tail the next writer open truncates)")
        }
        var output = BufferedOutput()
        output.write(
            JSONText.object([
                ("last_offset", report.lastOffset?.description ?? "null"), ("head", JSONText.string(report.head.hex)),
            ]) + "\n")
        output.flush()
    }
}

/// `--expect-head OFFSET:HASH`: a head an earlier `verify` printed.
struct ExpectedHead: ExpressibleByArgument {
    var offset: LogOffset
    var hash: BatchHash

    init?(argument: String) {
        let parts = argument.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let offset = UInt64(parts[0]), let hash = BatchHash(hex: parts[1]) else { return nil }
        self.offset = LogOffset(offset)
        self.hash = hash
    }
}
