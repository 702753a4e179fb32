import Foundation
import LogFormat

/// The files of one log in one directory: `NNNNNNNNNNNNNNNNNNNN.seg` segments named by base
/// offset (20 digits, as Kafka names them), their `.index` and `.timeindex`, `COMMIT` and `LOCK`.
public struct LogDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public static func fileName(base: LogOffset, suffix: String) -> String {
        let digits = String(base.rawValue)
        return String(repeating: "0", count: 20 - digits.count) + digits + suffix
    }

    public func segmentPath(_ base: LogOffset) -> String { path + "/" + Self.fileName(base: base, suffix: ".seg") }
    func offsetIndexPath(_ base: LogOffset) -> String { path + "/" + Self.fileName(base: base, suffix: ".index") }
    func timeIndexPath(_ base: LogOffset) -> String { path + "/" + Self.fileName(base: base, suffix: ".timeindex") }
    var commitPath: String { path + "/" + CommitMarker.fileName }
    var lockPath: String { path + "/LOCK" }
    /// Whether bytes that are not a valid batch in `segment` may be an append in progress rather
    /// than damage: only in a log without a commit marker, and only in its last segment. (With a
    /// marker, readers stop at its committed end, so what is invalid before that end is damage.)
    static func invalidBytesMayBeAnAppend(in segment: LogOffset, marker: CommitMarker?, lastSegment: LogOffset?) -> Bool {
        marker == nil && segment == lastSegment
    }

    /// The pid of the process writing this log (holding `LOCK`), or nil when none is.
    public var writerPID: Int32? { WriterLock.holder(of: lockPath) }

    public var exists: Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Base offsets of the segments present, ascending. Other files are ignored.
    public func segmentBases() throws -> [LogOffset] {
        guard exists else { return [] }
        return try PosixFile.names(inDirectory: path).compactMap(Self.segmentBase(fileName:)).sorted()
    }

    static func segmentBase(fileName: String) -> LogOffset? {
        guard fileName.hasSuffix(".seg") else { return nil }
        let digits = fileName.dropLast(4)
        guard digits.count == 20, digits.allSatisfy(\.isASCII), let value = UInt64(digits) else { return nil }
        return LogOffset(value)
    }

    /// The commit marker, or nil when absent or torn (retried once: the writer may be mid-overwrite).
    func readCommitMarker() -> CommitMarker? {
        for _ in 0..<2 {
            guard let file = try? PosixFile.openForReading(commitPath), let bytes = try? file.readAll() else { return nil }
            if let marker = CommitMarker.decode(bytes) { return marker }
        }
        return nil
    }
}
