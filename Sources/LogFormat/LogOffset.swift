/// The position of a record in a log: dense, starting at 0, never reused.
///
/// Distinct from `FilePosition` (a byte position inside a segment file) so the two cannot be mixed up.
public struct LogOffset: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ value: UInt64) { self.rawValue = value }

    public static let zero = LogOffset(0)

    public static func < (lhs: LogOffset, rhs: LogOffset) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The offset `count` records later.
    public func advanced(by count: Int) -> LogOffset {
        precondition(count >= 0, "a log only grows: advanced(by: \(count))")
        return LogOffset(rawValue + UInt64(count))
    }

    /// Records from `self` up to (excluding) `end`.
    public func distance(to end: LogOffset) -> Int {
        precondition(end >= self, "distance from \(self) to earlier \(end)")
        return Int(end.rawValue - rawValue)
    }

    public var description: String { String(rawValue) }
}

/// A byte position inside one segment file, counted from the file's first byte.
public struct FilePosition: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int64

    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(_ value: Int64) { self.rawValue = value }
    public init(_ value: Int) { self.rawValue = Int64(value) }

    public static func < (lhs: FilePosition, rhs: FilePosition) -> Bool { lhs.rawValue < rhs.rawValue }

    public func advanced(by bytes: Int) -> FilePosition { FilePosition(rawValue + Int64(bytes)) }

    public var description: String { String(rawValue) }
}

/// Which log a segment belongs to: the main log of accepted payloads, or the quarantine log.
public enum LogKind: UInt16, Sendable, CaseIterable {
    case main = 0
    case quarantine = 1
}
