import Foundation

/// What every benchmark executable reads before it measures: its arguments and its NDJSON input.
/// A wrong argument count exits 2 with the usage line; an input that cannot be read exits 1
/// saying which file. Both messages go to standard error.
public enum BenchInput {
    /// The arguments after the program's name, exactly one for each of `operands`
    /// ("TRAFFIC.ndjson", "WORK_DIR"); exits 2 with the usage line otherwise.
    public static func arguments(_ program: String, operands: [String]) -> [String] {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard arguments.count == operands.count else {
            fail("usage: \(([program] + operands).joined(separator: " "))", exitCode: 2)
        }
        return arguments
    }

    /// The lines of the file at `path` (split at newlines, empty lines dropped); exits 1 when the
    /// file cannot be read.
    public static func lines(_ program: String, path: String) -> [[UInt8]] {
        guard let input = FileManager.default.contents(atPath: path) else {
            fail("\(program): cannot read \(path): give an existing NDJSON file", exitCode: 1)
        }
        return input.split(separator: UInt8(ascii: "\n")).map { Array($0) }
    }

    private static func fail(_ message: String, exitCode: Int32) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(exitCode)
    }
}

/// The instant `now()` counts from.
private let origin = ContinuousClock.now

/// Seconds on the monotonic clock (`ContinuousClock`, which the product times its durations with),
/// for timing a measurement by the difference of two readings; a change of the wall clock during
/// a run does not move it.
public func now() -> Double { (ContinuousClock.now - origin) / .seconds(1) }
