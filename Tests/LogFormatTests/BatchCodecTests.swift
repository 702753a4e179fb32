import Testing

@testable import LogFormat

@Suite struct BatchCodecTests {
    private func records(_ count: Int) -> [AppendRecord] {
        (0..<count).map { (i: Int) -> AppendRecord in
            let key: String? = i % 2 == 0 ? "key-\(i)" : nil
            let reason: String? = i % 5 == 0 ? #"{"code":"invalid_json"}"# : nil
            let payload = #"{"v":3,"session_id":"s-\#(i)","actions":[{"type":"pageview","path":"/p/\#(i)"}]}"#
            return AppendRecord(
                version: UInt8(1 + i % 3), producerUID: UInt32(1000 + i), idempotencyKey: key, rejectReason: reason,
                payload: Array(payload.utf8))
        }
    }

    private func encode(_ input: [AppendRecord], base: LogOffset = LogOffset(100)) -> ([UInt8], BatchHeader, BatchHash) {
        var encoder = BatchBodyEncoder()
        for record in input { encoder.add(record) }
        var out = [UInt8]()
        let (header, hash) = BatchHeader.seal(
            encoder.finish(), baseOffset: base, receivedAtMs: 1_000, previousHash: .zero, appendingTo: &out)
        return (out, header, hash)
    }

    private func decode(_ bytes: [UInt8]) throws(FormatError) -> [LogRecord] {
        let header = try bytes.decoding(0..<bytes.count) { raw throws(FormatError) in try BatchHeader.decode(raw) }
        try bytes.decoding(0..<bytes.count) { raw throws(FormatError) in try BatchDecoder.verifyChecksum(header, batch: raw) }
        return try bytes.decoding(BatchHeader.size..<bytes.count) { raw throws(FormatError) in
            try BatchDecoder.records(header, body: raw)
        }
    }

    @Test func recordsRoundTripWithEveryField() throws {
        let input = records(50)
        let (bytes, header, _) = encode(input)
        #expect(header.codec == .lz4)
        #expect(header.storedLength < header.rawLength)
        let output = try decode(bytes)
        #expect(output.count == input.count)
        for (i, (original, decoded)) in zip(input, output).enumerated() {
            #expect(decoded.offset == LogOffset(100 + UInt64(i)))
            #expect(decoded.version == original.version && decoded.producerUID == original.producerUID)
            #expect(decoded.idempotencyKey == original.idempotencyKey && decoded.rejectReason == original.rejectReason)
            #expect(Array(decoded.payload) == original.payload)
            #expect(decoded.receivedAtMs == 1_000)
        }
    }

    @Test func bodiesSplitAtTheByteLimitAndKeepEveryRecord() throws {
        let input = records(40)
        let bodies = BatchBodyEncoder.bodies(input, bodyBytesMax: 1000)
        #expect(bodies.count > 3)
        #expect(bodies.reduce(0) { $0 + $1.recordCount } == 40)
        #expect(bodies.allSatisfy { $0.recordCount == 1 || $0.rawLength <= 1000 })
    }

    @Test func aNegativeReceivedAtDeltaIsCorruption() throws {
        var encoder = BatchBodyEncoder()
        encoder.add(records(1)[0])
        var body = encoder.finish()
        var raw = [UInt8]()
        try body.stored.withUnsafeBytes { raw = [] ; try LZ4Block.decompress($0, rawLength: body.rawLength, into: &raw) }
        raw.storeLittleEndian(Int64(-1), at: 8)
        body = EncodedBody(stored: raw, codec: .none, rawLength: raw.count, recordCount: 1)
        var out = [UInt8]()
        _ = BatchHeader.seal(body, baseOffset: .zero, receivedAtMs: 5, previousHash: .zero, appendingTo: &out)
        #expect { try decode(out) } throws: { ($0 as? FormatError)?.code == .badSequence }
    }

    @Test func incompressibleBodiesAreStoredRaw() throws {
        var factory: UInt64 = 0x1234_5678
        let noise = (0..<4096).map { _ -> UInt8 in
            factory = factory &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: factory >> 33)
        }
        var scratch = [UInt8]()
        var compressed = [UInt8]()
        #expect(noise.withUnsafeBytes { LZ4Block.compress($0, scratch: &scratch, appendingTo: &compressed) } == nil)
        let (bytes, header, _) = encode([AppendRecord(version: 0, producerUID: 0, payload: noise)])
        #expect(header.codec == .none || header.storedLength < header.rawLength)
        #expect(Array(try decode(bytes)[0].payload) == noise)
        // A body stored raw (codec 0) reads back the same.
        var encoder = BatchBodyEncoder()
        encoder.add(AppendRecord(version: 0, producerUID: 0, payload: noise))
        let body = encoder.finish()
        var raw = [UInt8]()
        if body.codec == .lz4 {
            try body.stored.withUnsafeBytes { try LZ4Block.decompress($0, rawLength: body.rawLength, into: &raw) }
        } else {
            raw = body.stored
        }
        var out = [UInt8]()
        let sealed = BatchHeader.seal(
            EncodedBody(stored: raw, codec: .none, rawLength: raw.count, recordCount: 1), baseOffset: .zero,
            receivedAtMs: 1, previousHash: .zero, appendingTo: &out)
        #expect(sealed.header.codec == .none)
        #expect(Array(try decode(out)[0].payload) == noise)
    }

    @Test func theHashChainsThroughThePreviousHashField() {
        var encoder = BatchBodyEncoder()
        var out = [UInt8]()
        encoder.add(records(1)[0])
        let (_, first) = BatchHeader.seal(encoder.finish(), baseOffset: .zero, receivedAtMs: 1, previousHash: .zero, appendingTo: &out)
        let firstEnd = out.count
        encoder.add(records(1)[0])
        let (second, _) = BatchHeader.seal(
            encoder.finish(), baseOffset: LogOffset(1), receivedAtMs: 2, previousHash: first, appendingTo: &out)
        #expect(second.previousHash == first)
        #expect(first == out.withUnsafeBytes { BatchHash.of(storedBatch: UnsafeRawBufferPointer(rebasing: $0[0..<firstEnd])) })
    }

    // The corruption catalogue (after LevelDB's log_test.cc).

    @Test func checksumMismatchIsReportedForAnyFlippedByteAfterTheCRCField() throws {
        let (bytes, _, _) = encode(records(5))
        for position in BatchHeader.crcCoverageStart..<bytes.count {
            var damaged = bytes
            damaged[position] ^= 0x01
            #expect(throws: FormatError.self) { try decode(damaged) }
        }
    }

    @Test func badMagicAndBadLengthAreReported() {
        let (bytes, _, _) = encode(records(3))
        var badMagic = bytes
        badMagic[0] = 0
        #expect(throws: FormatError(.badMagic, "batch magic 0x314c4200 is not 0x314c4253")) { try decode(badMagic) }
        var badLength = bytes
        badLength.storeLittleEndian(UInt32(BatchHeader.storedBytesMax + 1), at: 8)
        #expect { try decode(badLength) } throws: { ($0 as? FormatError)?.code == .badLength }
    }

    @Test func aTruncatedBatchIsReportedAsTruncated() {
        let (bytes, _, _) = encode(records(3))
        for cut in [1, BatchHeader.size - 1, BatchHeader.size + 1, bytes.count - 1] {
            let short = Array(bytes[0..<cut])
            #expect { try decode(short) } throws: { ($0 as? FormatError)?.code == .truncated }
        }
    }
}
