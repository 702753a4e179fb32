import CSimdJSON

/// The fast path of `JSONParser.parse`: simdjson parses, and its tape and (already unescaped)
/// string buffer, copied, are the `JSONDocument`.
///
/// It only ever accepts: a text simdjson rejects, or one breaking a rule simdjson does not check
/// (duplicate member names, nesting deeper than `depthMax`), yields nil, and the caller parses it
/// with the reference parser, whose verdict and error path are authoritative. Where simdjson
/// accepts, both parsers agree on every value (checked by PayloadsTests' differential test and
/// the fuzzer); see docs/decisions/0005-simdjson-fast-path.md.
enum SimdJSONTape {
    static func document(_ bytes: ArraySlice<UInt8>, depthMax: Int) -> JSONDocument? {
        guard !bytes.isEmpty else { return nil }
        var parsed = sl_json_tape()
        let status = bytes.withUnsafeBufferPointer { sl_json_parse($0.baseAddress, $0.count, &parsed) }
        guard status == 0, let words = parsed.tape, let stringBuffer = parsed.strings else { return nil }
        let length = Int(words[0] & JSONDocument.payloadMask)
        // simdjson sizes its string buffer for the worst case (5/3 of the input, plus padding).
        let strings = UnsafeBufferPointer(start: stringBuffer, count: bytes.count * 5 / 3 + 64)
        var stringsEnd: Int?
        let tape = [UInt64](unsafeUninitializedCapacity: length) { tape, count in
            _ = tape.initialize(from: UnsafeBufferPointer(start: words, count: length))
            count = length
            stringsEnd = check(tape, strings, depthMax: depthMax)
        }
        guard let stringsEnd else { return nil }
        return JSONDocument(tape: tape, strings: Array(UnsafeBufferPointer(rebasing: strings[0..<stringsEnd])))
    }

    /// Resolves member names (`MemberTable.resolve`); returns the end of the used string buffer,
    /// or nil when containers nest deeper than `depthMax` (the top level counting as 1) or an
    /// object repeats a member name.
    private static func check(_ tape: UnsafeMutableBufferPointer<UInt64>, _ strings: UnsafeBufferPointer<UInt8>, depthMax: Int) -> Int? {
        let table = MemberTable.shared
        var depth = 0
        var stringsEnd = 0
        var node = 1
        while node < tape.count - 1 {
            let word = tape[node]
            switch JSONDocument.tag(word) {
            case UInt8(ascii: "{"):
                depth += 1
                guard depth <= depthMax else { return nil }
                guard table.resolve(tape, strings, object: node) == nil else { return nil }
            case UInt8(ascii: "["):
                depth += 1
                guard depth <= depthMax else { return nil }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
            case UInt8(ascii: "\""):
                // simdjson writes strings in document order, so the last one ends the buffer.
                stringsEnd = JSONDocument.stringRange(word, strings).upperBound + 1
            case UInt8(ascii: "l"), UInt8(ascii: "u"), UInt8(ascii: "d"):
                node += 1
            default: break
            }
            node += 1
        }
        assert(depth == 0, "unbalanced simdjson tape")
        return stringsEnd
    }
}
