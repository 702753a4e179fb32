import Testing

@testable import LogFormat

/// Pins the byte layout that docs/log-format.md specifies (Swift has no static_assert).
@Suite struct LayoutTests {
    @Test func sizesMatchTheDocumentedLayout() {
        #expect(SegmentHeader.size == 32)
        #expect(SegmentHeader(kind: .main, baseOffset: LogOffset(7), createdAtMs: 1).encoded().count == 32)
        #expect(BatchHeader.size == 80)
        #expect(RecordLayout.headerSize == 32)
        #expect(CommitMarker.size == 32)
        #expect(CommitMarker(segmentBase: .zero, endPosition: FilePosition(32), nextOffset: .zero).encoded().count == 32)
        #expect(IndexLayout.headerSize == 16 && IndexLayout.entrySize == 16)
        #expect(BatchHash.size == 32)
    }

    @Test func segmentHeaderBytesAreLittleEndianAtDocumentedPositions() throws {
        let bytes = SegmentHeader(kind: .quarantine, baseOffset: LogOffset(0x0102_0304), createdAtMs: 0x0A0B).encoded()
        #expect(Array(bytes[0..<8]) == Array("SLOGSEG\0".utf8))
        #expect(bytes[8] == 1 && bytes[9] == 0)  // format version
        #expect(bytes[10] == 1 && bytes[11] == 0)  // kind: quarantine
        #expect(Array(bytes[12..<16]) == [4, 3, 2, 1])
        #expect(bytes[20] == 0x0B && bytes[21] == 0x0A)
        let decoded = try bytes.decoding(0..<32) { raw throws(FormatError) in try SegmentHeader.decode(raw) }
        #expect(decoded == SegmentHeader(kind: .quarantine, baseOffset: LogOffset(0x0102_0304), createdAtMs: 0x0A0B))
    }

    @Test func batchHeaderFieldsSitWhereTheDocumentSays() {
        var encoder = BatchBodyEncoder()
        encoder.add(AppendRecord(version: 3, producerUID: 1000, idempotencyKey: "k1", payload: Array("{}".utf8)))
        var out = [UInt8]()
        let (header, _) = BatchHeader.seal(
            encoder.finish(), baseOffset: LogOffset(42), receivedAtMs: 5, previousHash: .zero, appendingTo: &out)
        #expect(Array(out[0..<4]) == Array("SBL1".utf8))
        #expect(out.withUnsafeBytes { $0.littleEndian(at: 16, as: UInt64.self) } == 42)
        #expect(out.withUnsafeBytes { $0.littleEndian(at: 24, as: UInt32.self) } == 1)
        #expect(header.rawLength == RecordLayout.headerSize + 2 + 2)
        #expect(out.count == BatchHeader.size + header.storedLength)
        #expect(Array(out[48..<80]) == BatchHash.zero.bytes)
    }

    @Test func commitMarkerRoundTripsAndRejectsTornBytes() {
        let marker = CommitMarker(segmentBase: LogOffset(9), endPosition: FilePosition(4096), nextOffset: LogOffset(77))
        var bytes = marker.encoded()
        #expect(CommitMarker.decode(bytes) == marker)
        bytes[20] ^= 0x40
        #expect(CommitMarker.decode(bytes) == nil)
    }
}

@Suite struct ChecksumTests {
    @Test func crc32cMatchesTheCastagnoliCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    @Test func crc32cCanBeComputedInPieces() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let whole = CRC32C.checksum(bytes)
        let first = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<333])) }
        let both = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[333...]), continuing: first) }
        #expect(both == whole)
    }

    @Test func hashHexRoundTrips() throws {
        let hash = [UInt8](repeating: 0xAB, count: 16) + [UInt8](repeating: 0x01, count: 16)
        let parsed = try #require(BatchHash(hex: BatchHash(bytes: hash).hex))
        #expect(parsed.bytes == hash)
        #expect(BatchHash(hex: "xyz") == nil)
    }
}
