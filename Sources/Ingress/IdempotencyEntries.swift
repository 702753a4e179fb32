import LogFormat

/// One accepted key of the idempotency window: the key's digest and the answer its request got.
struct IdempotencyEntry {
    var key: Digest128
    var accepted: IdempotencyWindow.Accepted
}

/// The window's accepted entries in the order they were accepted (log order, which is also the
/// eviction order), appended at the end and dropped from the front. Entries live in fixed chunks
/// that never move, and an entry is never changed once appended: a snapshot (`run`) reads a run
/// of entries without the window's lock while new ones are appended after it. Its chunks are
/// shared by copies, so it has one owner: the window's storage.
///
/// An entry is addressed by its sequence number: 0 for the first entry ever appended, counting
/// on across drops, so a number stays valid for as long as its entry is kept.
struct IdempotencyEntries {
    /// Entries per chunk: 16,384 × 56 bytes, 896 KiB.
    static let chunkCapacity = 16_384

    /// A chunk of entries; slots below the count appended so far are written once and then only read.
    final class Chunk: @unchecked Sendable {
        let slots = UnsafeMutablePointer<IdempotencyEntry>.allocate(capacity: IdempotencyEntries.chunkCapacity)
        deinit { slots.deallocate() }  // entries are trivial values: nothing to deinitialize
    }

    private var chunks: [Chunk] = []
    /// The sequence number of `chunks[0]`'s first slot.
    private var chunksBase = 0
    /// The first kept entry and the next one to append.
    private(set) var start = 0
    private(set) var end = 0

    var count: Int { end - start }
    var first: IdempotencyEntry? { count == 0 ? nil : self[start] }

    subscript(sequence: Int) -> IdempotencyEntry {
        precondition(sequence >= start && sequence < end, "an idempotency entry that is not kept")
        return Self.entry(sequence, in: chunks, chunksBase: chunksBase)
    }

    private static func entry(_ sequence: Int, in chunks: [Chunk], chunksBase: Int) -> IdempotencyEntry {
        let index = sequence - chunksBase
        return chunks[index / chunkCapacity].slots[index % chunkCapacity]
    }

    /// Appends `entry`; returns its sequence number.
    @discardableResult mutating func append(_ entry: IdempotencyEntry) -> Int {
        let index = end - chunksBase
        if index == chunks.count * Self.chunkCapacity { chunks.append(Chunk()) }
        (chunks[index / Self.chunkCapacity].slots + index % Self.chunkCapacity).initialize(to: entry)
        end += 1
        return end - 1
    }

    /// Drops the first entry, and its chunk once no kept entry is in it.
    mutating func dropFirst() {
        precondition(count > 0, "dropping from no idempotency entries")
        start += 1
        if start - chunksBase == Self.chunkCapacity {
            chunks.removeFirst()
            chunksBase += Self.chunkCapacity
        }
    }

    /// The entries `sequences` (kept ones), readable from any thread while this value goes on
    /// changing: it holds their chunks.
    func run(_ sequences: Range<Int>) -> Run {
        precondition(sequences.lowerBound >= start && sequences.upperBound <= end, "a run of entries that are not kept")
        return Run(chunks: chunks, chunksBase: chunksBase, sequences: sequences)
    }

    /// A run of entries held apart from the window (see `run`).
    struct Run: Sequence, @unchecked Sendable {  // its slots were written before it was made and are never written again
        let chunks: [Chunk]
        let chunksBase: Int
        let sequences: Range<Int>

        func makeIterator() -> some IteratorProtocol<IdempotencyEntry> {
            sequences.lazy.map { [chunks, chunksBase] in IdempotencyEntries.entry($0, in: chunks, chunksBase: chunksBase) }.makeIterator()
        }
    }
}
