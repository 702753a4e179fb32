import ArgumentParser
import Foundation
import Payloads

/// `sessionlog validate FILE…`: checks NDJSON payloads without appending anything.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check NDJSON payloads (one per line, carrying its v) without appending them.",
        discussion: """
            One verdict per non-blank input line, N counting from 1 per file. --format json prints \
            {"line":N,"ok":true,"v":V} or {"line":N,"ok":false,"code":"…","path":"…","message":"…"}. \
            Exits 1 when any line is invalid. - reads standard input.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @OptionGroup var data: DataOptions

    @Argument(help: "NDJSON files to check; - for standard input.")
    var files: [String]

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    @Option(help: "Largest payload in bytes.")
    var maxBody: Int = 1 << 20

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one file (or - for standard input)") }
        guard maxBody > 0 else { throw ValidationError("--max-body must be positive") }
    }

    func run() async throws {
        var output = BufferedOutput()
        var invalid = 0
        for file in files {
            try await LineReader.withInput(file) { reader, _ in
                while !reader.atEnd {
                    for line in try reader.nextLines() where !line.isBlank {
                        let verdict = LineValidation.verdict(line.bytes, limits: PayloadLimits(bodyBytesMax: maxBody)).map(\.verdict.version)
                        if case .failure = verdict { invalid += 1 }
                        output.write(render(verdict, line: line.number, file: files.count > 1 ? file : nil) + "\n")
                    }
                }
            }
        }
        output.flush()
        if invalid > 0 { throw ExitCode(1) }
    }

    private func render(_ verdict: Result<PayloadVersion, PayloadError>, line: Int, file: String?) -> String {
        switch (format, verdict) {
        case (.json, .success(let version)):
            return JSONText.object((file.map { [("file", JSONText.string($0))] } ?? []) + [("line", String(line)), ("ok", "true"), ("v", String(version.rawValue))])
        case (.json, .failure(let error)):
            return JSONText.object(
                (file.map { [("file", JSONText.string($0))] } ?? []) + [
                    ("line", String(line)), ("ok", "false"), ("code", JSONText.string(error.code.rawValue)),
                    ("path", JSONText.string(error.path)), ("message", JSONText.string(error.message)),
                ])
        case (.text, .success(let version)):
            return "\(file.map { $0 + ":" } ?? "")\(line): ok (v\(version.rawValue))"
        case (.text, .failure(let error)):
            return "\(file.map { $0 + ":" } ?? "")\(line): \(error.code.rawValue)\(error.path.isEmpty ? "" : " at \(error.path)"): \(error.detail)"
        }
    }
}
