import Foundation
import LogFormat

/// Where in a log a data error sits: the segment file, the byte position in it, and the offset
/// of the batch (or record) that was expected there.
public struct LogLocation: Equatable, Sendable, CustomStringConvertible {
    public var segment: String
    public var position: FilePosition
    public var offset: LogOffset

    public init(segment: String, position: FilePosition, offset: LogOffset) {
        self.segment = segment
        self.position = position
        self.offset = offset
    }

    public var description: String { "segment \(segment), byte \(position), offset \(offset)" }
}

/// An error from the log store: an operating error (I/O, disk full, lock held) or a data error
/// (corruption, with its location). The message says what happened and what to do.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    /// Stable category for programs to match on.
    public enum Code: String, Sendable {
        /// A syscall failed; `errno` and `path` say which.
        case io
        /// No space left (ENOSPC/EDQUOT). Nothing of the failed append is kept; retry when space returns.
        case diskFull = "disk_full"
        /// Bytes on disk do not follow the format; `location` says where.
        case corruption
        /// Another process holds the writer lock.
        case locked
        /// A previous fsync failed: the writer stopped accepting appends (fail-stop). Restart it.
        case writerFailed = "writer_failed"
        /// The writer was closed.
        case closed
        /// A request outside what the log holds (an offset past its end, a malformed argument).
        case invalidArgument = "invalid_argument"
    }

    public var code: Code
    public var message: String
    public var errno: Int32?
    public var path: String?
    public var location: LogLocation?
    public var formatError: FormatError?

    public init(
        _ code: Code, _ message: String, errno: Int32? = nil, path: String? = nil, location: LogLocation? = nil,
        formatError: FormatError? = nil
    ) {
        self.code = code
        self.message = message
        self.errno = errno
        self.path = path
        self.location = location
        self.formatError = formatError
    }

    public var description: String { message }

    /// A failed syscall. ENOSPC and EDQUOT become `.diskFull`.
    public static func syscall(_ name: String, errno: Int32, path: String) -> StorageError {
        let reason = String(cString: strerror(errno))
        if errno == ENOSPC || errno == EDQUOT {
            return StorageError(
                .diskFull, "\(name) \(path): \(reason); free space on the log's disk and retry", errno: errno, path: path)
        }
        return StorageError(.io, "\(name) \(path): \(reason)", errno: errno, path: path)
    }

    static func corruption(_ error: FormatError, at location: LogLocation) -> StorageError {
        StorageError(
            .corruption, "corrupt log at \(location): \(error.message) [\(error.code.rawValue)]",
            location: location, formatError: error)
    }

    /// A damaged batch of the active segment with intact history after it: recovery does not cut
    /// acknowledged records away to get past it.
    static func corruptionWithHistoryAfter(_ error: FormatError, at location: LogLocation, directory: String) -> StorageError {
        var corrupt = corruption(error, at: location)
        corrupt.message += "; intact batches follow it, so it is not a torn tail and the writer will not cut the records after "
            + "it away. Nothing was changed: restore \(directory) from a backup (`sessionlog verify` names the first damage)"
        return corrupt
    }

    /// `COMMIT` names records the segment files no longer hold: segments were removed or cut.
    /// `found` says what the segments hold instead.
    static func commitBeyondSegments(_ marker: CommitMarker, found: String, directory: String) -> StorageError {
        StorageError(
            .corruption,
            "the commit marker says \(directory) holds records up to offset \(marker.nextOffset) (segment "
                + "\(LogDirectory.fileName(base: marker.segmentBase, suffix: ".seg")), byte \(marker.endPosition)), but \(found): "
                + "segments were removed or cut short. Restore them from a backup (if this directory is a copy taken "
                + "while a writer ran, delete its COMMIT to use it as it is)",
            path: directory)
    }

    static func locked(path: String, holder: String) -> StorageError {
        StorageError(
            .locked,
            "the log at \(path) is locked by \(holder) (an ingress or import is writing it); stop that process or wait for it",
            path: path)
    }
}
