import LogFormat

/// The in-memory form of a segment's two sparse indexes (layout in `IndexLayout`):
/// offset → file position, and received_at → offset.
///
/// Derived data: rebuilt from the segment whenever it is missing or inconsistent.
struct SegmentIndex: Equatable {
    /// (batch base offset, batch file position), ascending.
    private(set) var offsetEntries: [(offset: UInt64, position: UInt64)] = []
    /// (batch first_received_at, batch base offset), ascending.
    private(set) var timeEntries: [(receivedAtMs: UInt64, offset: UInt64)] = []
    private var lastEntryPosition: Int64?

    static func == (lhs: SegmentIndex, rhs: SegmentIndex) -> Bool {
        lhs.offsetEntries.elementsEqual(rhs.offsetEntries, by: ==) && lhs.timeEntries.elementsEqual(rhs.timeEntries, by: ==)
    }

    /// Records a batch; returns the new entries (offset, time) when it gets one: the segment's
    /// first batch, and then the first batch at least `intervalBytes` past the previous entry.
    @discardableResult
    mutating func note(_ header: BatchHeader, at position: FilePosition, intervalBytes: Int) -> Bool {
        if let last = lastEntryPosition, position.rawValue - last < Int64(intervalBytes) { return false }
        offsetEntries.append((header.baseOffset.rawValue, UInt64(position.rawValue)))
        timeEntries.append((UInt64(max(0, header.firstReceivedAtMs)), header.baseOffset.rawValue))
        lastEntryPosition = position.rawValue
        return true
    }

    /// The last entry's position at or before `offset`: where a scan for it may start.
    func position(before offset: LogOffset) -> (offset: LogOffset, position: FilePosition)? {
        guard let i = lastIndex(in: offsetEntries.map(\.offset), atOrBelow: offset.rawValue) else { return nil }
        return (LogOffset(offsetEntries[i].offset), FilePosition(Int64(offsetEntries[i].position)))
    }

    /// The last indexed batch whose first record arrived strictly before `timeMs`: every record
    /// before that batch arrived before it too, so a scan for the first record at or after
    /// `timeMs` may start there.
    func offset(beforeTime timeMs: Int64) -> LogOffset? {
        guard timeMs > 0, let i = lastIndex(in: timeEntries.map(\.receivedAtMs), atOrBelow: UInt64(timeMs) - 1) else {
            return nil
        }
        return LogOffset(timeEntries[i].offset)
    }

    private func lastIndex(in keys: [UInt64], atOrBelow key: UInt64) -> Int? {
        var low = 0
        var high = keys.count
        while low < high {
            let mid = (low + high) / 2
            if keys[mid] <= key { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : low - 1
    }

    // MARK: Files

    func offsetIndexBytes() -> [UInt8] {
        offsetEntries.reduce(into: IndexLayout.header(magic: IndexLayout.offsetIndexMagic)) {
            $0 += IndexLayout.entry($1.offset, $1.position)
        }
    }

    func timeIndexBytes() -> [UInt8] {
        timeEntries.reduce(into: IndexLayout.header(magic: IndexLayout.timeIndexMagic)) {
            $0 += IndexLayout.entry($1.receivedAtMs, $1.offset)
        }
    }

    /// Writes both files whole (not fsynced: indexes are rebuildable).
    func write(to directory: LogDirectory, base: LogOffset) throws {
        for (path, bytes) in [
            (directory.offsetIndexPath(base), offsetIndexBytes()), (directory.timeIndexPath(base), timeIndexBytes()),
        ] {
            let file = try PosixFile.openForWriting(path, create: true, truncate: true)
            try file.write(bytes, at: 0)
        }
    }

    /// Loads both files as they are; nil when either is missing or malformed. They may differ in
    /// length (read while a writer appends an entry to each, or copied one after the other from a
    /// live log): each is a valid sparse index on its own.
    static func load(from directory: LogDirectory, base: LogOffset) -> SegmentIndex? {
        guard let offsetBytes = try? PosixFile.openForReading(directory.offsetIndexPath(base)).readAll(),
            let timeBytes = try? PosixFile.openForReading(directory.timeIndexPath(base)).readAll(),
            let offsets = try? IndexLayout.decode(offsetBytes, magic: IndexLayout.offsetIndexMagic),
            let times = try? IndexLayout.decode(timeBytes, magic: IndexLayout.timeIndexMagic)
        else { return nil }
        var index = SegmentIndex()
        index.offsetEntries = offsets.map { ($0.0, $0.1) }
        index.timeEntries = times.map { ($0.0, $0.1) }
        index.lastEntryPosition = offsets.last.map { Int64($0.1) }
        return index
    }
}
