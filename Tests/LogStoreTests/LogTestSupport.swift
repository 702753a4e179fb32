import Foundation
import LogFormat
import SessionlogTestKit
import Testing

@testable import LogStore

/// Shared helpers for the log-store suites: small segments, deterministic clocks, read-back.
enum LogFixture {
    static func options(segmentBytes: Int = 1 << 20, clock: (@Sendable () -> Int64)? = nil) -> LogWriterOptions {
        var options = LogWriterOptions()
        options.segmentBytesMax = segmentBytes
        options.indexIntervalBytes = 256
        if let clock { options.clock = clock }
        return options
    }

    static func record(_ text: String, key: String? = nil) -> AppendRecord {
        AppendRecord(version: 3, producerUID: 1000, idempotencyKey: key, payload: Array(text.utf8))
    }

    static func readAll(_ directory: String, from offset: LogOffset = .zero) throws -> [LogRecord] {
        var cursor = LogReader(directory: directory).cursor(from: offset)
        var all = [LogRecord]()
        while let batch = try cursor.nextBatch() { all += batch }
        return all
    }

    /// Appends `lines` one call per chunk of `chunk` lines; returns every offset.
    static func append(_ writer: LogWriter, _ lines: [String], chunk: Int = 1) async throws -> [LogOffset] {
        var offsets = [LogOffset]()
        for start in stride(from: 0, to: lines.count, by: chunk) {
            offsets += try await writer.append(lines[start..<min(lines.count, start + chunk)].map { record($0) })
        }
        return offsets
    }

    static func segmentFiles(_ directory: String) throws -> [String] {
        try LogDirectory(path: directory).segmentBases().map { LogDirectory(path: directory).segmentPath($0) }
    }

    static func fileSize(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    /// Where the committed batches end in the active segment (its file may run on: preallocation).
    static func committedEnd(_ directory: String) throws -> Int {
        Int(try #require(LogDirectory(path: directory).readCommitMarker()).endPosition.rawValue)
    }

    static func copyDirectory(_ source: String, to destination: String) throws {
        try? FileManager.default.removeItem(atPath: destination)
        try FileManager.default.copyItem(atPath: source, toPath: destination)
    }

    static func truncate(_ path: String, to size: Int) {
        precondition(Glibc.truncate(path, off_t(size)) == 0, "truncate \(path)")
    }

    static func flipByte(_ path: String, at position: Int, mask: UInt8 = 0x10) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(position))
        let byte = try handle.read(upToCount: 1)![0]
        try handle.seek(toOffset: UInt64(position))
        try handle.write(contentsOf: [byte ^ mask])
    }
}

/// A clock that advances by a fixed step on every reading (thread-safe).
final class SteppingClock: @unchecked Sendable {  // `now` is guarded by `lock`
    private let lock = NSLock()
    private var now: Int64
    private let step: Int64

    init(start: Int64 = 1_700_000_000_000, step: Int64 = 10) {
        now = start
        self.step = step
    }

    func read() -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        now += step
        return now
    }
}
