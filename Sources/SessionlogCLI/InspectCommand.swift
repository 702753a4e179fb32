import ArgumentParser
import Foundation
import LogFormat
import LogStore
import Payloads

/// `sessionlog inspect`: segments, record counts, bytes, compression ratio and time ranges.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the log's and the quarantine log's segments, counts, bytes, compression and time ranges.",
        discussion: "Exits 1, after the summary, when a segment holds a damaged batch: its counts stop there."
    )

    @OptionGroup var data: DataOptions

    @OptionGroup var report: ReportFormatOption

    func run() async throws {
        try data.requireExisting()
        var output = BufferedOutput()
        var logs = [(String, [SegmentSummary])]()
        for (name, path) in [("log", data.logPath), ("rejected", data.rejectedPath)] {
            logs.append((name, LogDirectory(path: path).exists ? try LogInspector.summarize(directory: path) : []))
        }
        switch report.format {
        case .json:
            let objects = logs.map { name, segments in
                JSONText.object([
                    ("log", JSONText.string(name)),
                    ("segments", "[" + segments.map(Self.json).joined(separator: ",") + "]"),
                    ("total", Self.json(Self.total(segments, name: name))),
                ])
            }
            output.write("[" + objects.joined(separator: ",") + "]\n")
        case .table:
            for (name, segments) in logs {
                output.write("\(name) (\(data.path(rejected: name == "rejected")))\n")
                let header = ["segment", "records", "batches", "stored", "raw", "ratio", "first received", "last received"]
                let rows = (segments + [Self.total(segments, name: "total")]).map(Self.row)
                output.write(TextTable.render(header: header, rows: rows))
                output.write("\n")
            }
        }
        output.flush()
        let damaged = logs.flatMap { $0.1 }.compactMap(\.damage)
        guard damaged.isEmpty else {
            throw CommandError(
                damaged.map(\.description).joined(separator: "\n")
                    + "\nThe counts above stop at the damage. `sessionlog verify` checks the whole log; docs/operations.md, \"Recovery\", says what to do.")
        }
    }

    private static func total(_ segments: [SegmentSummary], name: String) -> SegmentSummary {
        var total = SegmentSummary(fileName: name, baseOffset: .zero)
        for s in segments {
            total.batches += s.batches
            total.records += s.records
            total.storedBytes += s.storedBytes
            total.rawBytes += s.rawBytes
            total.firstReceivedAtMs = total.firstReceivedAtMs ?? s.firstReceivedAtMs
            total.lastReceivedAtMs = s.lastReceivedAtMs ?? total.lastReceivedAtMs
        }
        return total
    }

    private static func ratio(_ s: SegmentSummary) -> Double {
        s.storedBytes > 0 ? Double(s.rawBytes) / Double(s.storedBytes) : 0
    }

    private static func time(_ ms: Int64?) -> String { ms.map { TimeArgument.text(ms: $0) } ?? "-" }

    private static func row(_ s: SegmentSummary) -> [String] {
        [
            s.fileName, String(s.records), String(s.batches), String(s.storedBytes), String(s.rawBytes),
            String(format: "%.2f", ratio(s)), time(s.firstReceivedAtMs), time(s.lastReceivedAtMs),
        ]
    }

    private static func json(_ s: SegmentSummary) -> String {
        JSONText.object([
            ("name", JSONText.string(s.fileName)), ("base_offset", s.baseOffset.description),
            ("records", String(s.records)), ("batches", String(s.batches)), ("stored_bytes", String(s.storedBytes)),
            ("raw_bytes", String(s.rawBytes)), ("compression_ratio", String(format: "%.3f", ratio(s))),
            ("first_received_at", s.firstReceivedAtMs.map(String.init) ?? "null"),
            ("last_received_at", s.lastReceivedAtMs.map(String.init) ?? "null"),
            ("damage", s.damage.map { JSONText.string($0.description) } ?? "null"),
        ])
    }
}
