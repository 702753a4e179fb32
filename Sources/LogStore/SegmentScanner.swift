import LogFormat

/// One batch as found in a segment file: its header, where it starts, and its stored bytes.
struct ScannedBatch {
    var header: BatchHeader
    var position: FilePosition
    /// The buffer holding the batch; `range` is the whole stored batch (header and body).
    var buffer: [UInt8]
    var range: Range<Int>

    func withStoredBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    func records() throws(FormatError) -> [LogRecord] {
        let header = self.header
        let result = withStoredBytes { bytes -> Result<[LogRecord], FormatError> in
            do throws(FormatError) {
                return .success(try BatchDecoder.records(header, body: UnsafeRawBufferPointer(rebasing: bytes[BatchHeader.size...])))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    var hash: BatchHash { withStoredBytes { BatchHash.of(storedBatch: $0) } }
}

/// What the scanner found at its position.
enum ScanStep {
    case batch(ScannedBatch)
    /// Clean end: the position is exactly the limit (or end of file).
    case end
    /// Bytes at `position` are not a valid batch: torn (truncated) or corrupt.
    case invalid(position: FilePosition, error: FormatError)
}

/// Reads a segment's batches in order through a read-ahead buffer, checking for each batch its
/// magic, header, CRC and that its base offset continues the previous one.
///
/// Never reads at or past `limit` (the committed end for readers; nil reads to end of file).
/// Not thread-safe.
struct SegmentScanner {
    static let readAheadBytes = 4 << 20

    private let file: PosixFile
    /// The position the scanner never reads at or past; nil reads to end of file.
    private(set) var limit: FilePosition?
    private(set) var position: FilePosition
    private(set) var expectedOffset: LogOffset
    private var buffer: [UInt8] = []
    /// File position of `buffer[0]`, and how many bytes of `buffer` are valid.
    private var bufferStart: Int64 = 0
    private var bufferCount = 0

    init(file: PosixFile, start: FilePosition, expectedOffset: LogOffset, limit: FilePosition?) {
        self.file = file
        self.position = start
        self.expectedOffset = expectedOffset
        self.limit = limit
        self.bufferStart = start.rawValue
    }

    /// Moves the limit (nil: end of file). Bytes read ahead of `position` are dropped and read
    /// again: read without a limit, they may predate the writer's last write there.
    mutating func setLimit(_ limit: FilePosition?) {
        self.limit = limit
        bufferStart = position.rawValue
        bufferCount = 0
    }

    mutating func next() throws -> ScanStep {
        if let limit, position >= limit { return .end }
        let available = try ensure(BatchHeader.size)
        if available == 0 { return .end }
        let offsetInBuffer = Int(position.rawValue - bufferStart)
        let header: BatchHeader
        do {
            header = try buffer.decoding(offsetInBuffer..<offsetInBuffer + available) { raw throws(FormatError) in
                try BatchHeader.decode(raw)
            }
        } catch {
            return .invalid(position: position, error: error)
        }
        guard try ensure(header.totalSize) >= header.totalSize else {
            return .invalid(
                position: position,
                error: FormatError(.truncated, "batch of \(header.totalSize) bytes is cut short by the end of the segment"))
        }
        // `ensure` may have moved the unread bytes to the front of the buffer: recompute.
        let batchStart = Int(position.rawValue - bufferStart)
        let range = batchStart..<batchStart + header.totalSize
        do {
            try buffer.decoding(range) { raw throws(FormatError) in try BatchDecoder.verifyChecksum(header, batch: raw) }
        } catch {
            return .invalid(position: position, error: error)
        }
        guard header.baseOffset == expectedOffset else {
            return .invalid(
                position: position,
                error: FormatError(.badSequence, "batch base offset \(header.baseOffset), expected \(expectedOffset)", at: 16))
        }
        let batch = ScannedBatch(header: header, position: position, buffer: buffer, range: range)
        position = position.advanced(by: header.totalSize)
        expectedOffset = header.nextOffset
        return .batch(batch)
    }

    /// The position of the first intact batch (header and CRC check; its base offset is not
    /// checked) that starts after `position`, or nil when none does. Recovery uses it to tell a
    /// damaged tail from damage with history after it. Reads the rest of the file once, in
    /// read-ahead chunks, looking for the batch magic at every byte.
    static func firstIntactBatch(in file: PosixFile, after position: FilePosition) throws -> FilePosition? {
        let end = try file.size()
        let magic = withUnsafeBytes(of: BatchHeader.magic.littleEndian) { Array($0) }
        var chunk = [UInt8](repeating: 0, count: readAheadBytes)
        var chunkStart = position.rawValue + 1
        while end - chunkStart >= Int64(BatchHeader.size) {
            let n = try file.read(into: &chunk, at: 0, count: Int(min(Int64(chunk.count), end - chunkStart)), position: chunkStart)
            guard n >= magic.count else { return nil }
            for index in 0...(n - magic.count) where chunk[index] == magic[0] && chunk[index..<index + magic.count].elementsEqual(magic) {
                let candidate = FilePosition(chunkStart + Int64(index))
                if try isIntactBatch(in: file, at: candidate, end: end) { return candidate }
            }
            chunkStart += Int64(n - magic.count + 1)  // a magic cut by the chunk's end is seen in the next
        }
        return nil
    }

    private static func isIntactBatch(in file: PosixFile, at position: FilePosition, end: Int64) throws -> Bool {
        guard end - position.rawValue >= Int64(BatchHeader.size) else { return false }
        var bytes = [UInt8](repeating: 0, count: BatchHeader.size)
        _ = try file.read(into: &bytes, at: 0, count: bytes.count, position: position.rawValue)
        guard let header = try? bytes.decoding(0..<bytes.count, { raw throws(FormatError) in try BatchHeader.decode(raw) }),
            end - position.rawValue >= Int64(header.totalSize)
        else { return false }
        bytes = [UInt8](repeating: 0, count: header.totalSize)
        _ = try file.read(into: &bytes, at: 0, count: bytes.count, position: position.rawValue)
        return (try? bytes.decoding(0..<bytes.count) { raw throws(FormatError) in try BatchDecoder.verifyChecksum(header, batch: raw) }) != nil
    }

    /// Makes `count` bytes from `position` available in the buffer if the file (and limit) has
    /// them; returns how many are available (up to `count`). Re-reads at end of file, so a
    /// scanner over a growing file sees what was appended since.
    private mutating func ensure(_ count: Int) throws -> Int {
        var wanted = count
        if let limit { wanted = min(wanted, Int(limit.rawValue - position.rawValue)) }
        let start = Int(position.rawValue - bufferStart)
        let have = bufferCount - start
        if have >= wanted { return wanted }
        // Move the unread bytes to the front (in place: the buffer is reused), then read ahead.
        let capacity = max(Self.readAheadBytes, wanted)
        if buffer.count < capacity {
            var grown = [UInt8](repeating: 0, count: capacity)
            if have > 0 { grown.replaceSubrange(0..<have, with: buffer[start..<bufferCount]) }
            buffer = grown
        } else if have > 0 && start > 0 {
            buffer.withUnsafeMutableBytes { raw in
                raw.baseAddress!.copyMemory(from: raw.baseAddress! + start, byteCount: have)
            }
        }
        var toRead = buffer.count - have
        if let limit { toRead = min(toRead, Int(limit.rawValue - position.rawValue) - have) }
        let n = try file.read(into: &buffer, at: have, count: toRead, position: position.rawValue + Int64(have))
        bufferStart = position.rawValue
        bufferCount = have + n
        return min(wanted, bufferCount)
    }
}
