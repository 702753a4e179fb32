import Foundation
import SessionlogTestKit
import Testing

/// Runs the `sessionlog` binary against a data directory.
struct CLI {
    let data: String

    @discardableResult
    func run(_ arguments: [String], input: [UInt8] = []) throws -> ProcessResult {
        try ProcessRunner.run(SessionlogBinary.path, arguments + ["--data", data], input: input)
    }

    /// Runs and requires exit status 0, reporting stderr otherwise.
    @discardableResult
    func succeed(_ arguments: [String], input: [UInt8] = [], sourceLocation: SourceLocation = #_sourceLocation) throws
        -> ProcessResult
    {
        let result = try run(arguments, input: input)
        #expect(result.status == 0, "sessionlog \(arguments) failed: \(result.stderr)", sourceLocation: sourceLocation)
        return result
    }

    /// Starts `sessionlog` in the background. Unless it `readsInput` (`import -`, `send -`), it
    /// stops once the test releases it or dies (`ChildProcess`'s lifeline).
    func spawn(_ arguments: [String], readsInput: Bool = false) throws -> ChildProcess {
        try ChildProcess(SessionlogBinary.path, arguments + ["--data", data], lifeline: !readsInput)
    }
}

/// A Python script of `Tools/` (traffic and load generators, the independent log reader, …), run
/// with the machine's `python3`.
struct PythonTool {
    let path: String

    init(_ name: String) {
        path = RepositoryFile.path("Tools/\(name)")
    }

    /// Runs to completion, feeding `input` on stdin.
    func run(_ arguments: [String], input: [UInt8] = []) throws -> ProcessResult {
        try ProcessRunner.run("/usr/bin/env", ["python3", path] + arguments, input: input)
    }

    /// Starts it in the background.
    func spawn(_ arguments: [String]) throws -> ChildProcess {
        try ChildProcess("/usr/bin/env", ["python3", path] + arguments)
    }
}

func ndjson(_ lines: [String]) -> [UInt8] { Array(lines.map { $0 + "\n" }.joined().utf8) }

func jsonObject(_ line: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
}

/// Polls `condition` every 10 ms until it holds or `seconds` pass.
func eventually(seconds: Double = 20, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(10_000)
    }
    return try condition()
}
