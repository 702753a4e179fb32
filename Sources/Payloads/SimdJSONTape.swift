import CSimdJSON

/// The fast path of `JSONParser`: simdjson parses, and its tape and (already unescaped) string
/// buffer, annotated in place with member names, are read where they lie.
///
/// It only ever accepts: a text simdjson rejects, or one breaking a rule simdjson does not check
/// (duplicate member names, nesting deeper than `depthMax`), yields nil, and the caller parses it
/// with the reference parser, whose verdict and error path are authoritative. Where simdjson
/// accepts, both parsers agree on every value (checked by PayloadsTests' differential test and
/// the fuzzer); see docs/decisions/0005-simdjson-fast-path.md.
enum SimdJSONTape {
    /// Calls `body` with this thread's simdjson tape of `bytes`; nil, without calling it, when
    /// the fast path declines. The tape is valid only during `body`.
    static func withTape<R, E: Error>(_ bytes: ArraySlice<UInt8>, depthMax: Int, _ body: (JSONTape) throws(E) -> R) throws(E) -> R? {
        guard !bytes.isEmpty else { return nil }
        var parsed = sl_json_tape()
        let status = bytes.withUnsafeBufferPointer { sl_json_parse($0.baseAddress, $0.count, &parsed) }
        guard status == 0, let words = parsed.tape, let stringBuffer = parsed.strings else { return nil }
        let tape = UnsafeMutableBufferPointer(start: words, count: Int(words[0] & JSONDocument.payloadMask))
        // The lower bound of the string buffer's size the shim guarantees.
        let strings = UnsafeBufferPointer(start: stringBuffer, count: bytes.count * 5 / 3 + 64)
        guard let stringsEnd = check(tape, strings, depthMax: depthMax) else { return nil }
        return try body(JSONTape(words: UnsafeBufferPointer(tape), strings: UnsafeBufferPointer(rebasing: strings[..<stringsEnd])))
    }

    /// The fast path's document, copied out of the parser (for tests and the fuzzer).
    static func document(_ bytes: ArraySlice<UInt8>, depthMax: Int) -> JSONDocument? {
        withTape(bytes, depthMax: depthMax) { JSONDocument(copying: $0) }
    }

    /// Resolves member names (`MemberTable.resolve`) and returns the end of the strings the tape
    /// uses (simdjson writes them in document order); nil when containers nest deeper than
    /// `depthMax` (the top level counting as 1) or an object repeats a member name.
    private static func check(_ tape: UnsafeMutableBufferPointer<UInt64>, _ strings: UnsafeBufferPointer<UInt8>, depthMax: Int) -> Int? {
        let table = MemberTable.shared
        var depth = 0
        var lastString: Int?
        var node = 1
        while node < tape.count - 1 {
            switch JSONDocument.tag(tape[node]) {
            case UInt8(ascii: "{"):
                depth += 1
                guard depth <= depthMax, table.resolve(tape, strings, object: node) == nil else { return nil }
            case UInt8(ascii: "["):
                depth += 1
                guard depth <= depthMax else { return nil }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
            case UInt8(ascii: "l"), UInt8(ascii: "u"), UInt8(ascii: "d"):
                node += 1
            case UInt8(ascii: "\""):
                lastString = node
            default: break
            }
            node += 1
        }
        assert(depth == 0, "unbalanced simdjson tape")
        // The last string's length prefix, bytes and NUL.
        return lastString.map { JSONDocument.stringRange(tape[$0], strings).upperBound + 1 } ?? 0
    }
}
